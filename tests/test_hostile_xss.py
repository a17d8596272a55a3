"""Stored XSS: script, attribute-breaking, ``javascript:`` and formula payloads in every free-text
field, then every page, e-mail and export that shows them must render them inert.

The demo is loaded, then every free-text column of the project's tables (names, job titles,
survey answers, PDSA notes, project texts, driver diagrams, data-point notes, meeting notes,
feedback, quotes, module and cohort texts: found from the models, not listed) is overwritten with
the payload, inside a transaction rolled back at the end. Then:

- every page of tests/pages.py (the URLconf's pages, as each role that uses them) must show no
  unescaped ``<script``, no event-handler attribute of ours, no ``javascript:`` link, no quote
  that ends an attribute (inline SVG charts included);
- every HTML e-mail the app sends (tests/test_emails.py's ``MAILS``, which fails when one is
  missing) likewise;
- every spreadsheet download of the URLconf (survey responses, participants, attendance, the
  report's data; CSV and XLSX) holds no cell a spreadsheet would read as a formula;
- the impact report's PDF holds the payload as text, and no JavaScript link or action.
"""

import csv
import io
import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from cohorts.models import Membership
from projects.models import Presentation
from projects.services import presentation_feedback_give
from tests import hostile, pages
from tests.pages import Role
from tests.test_emails import MAILS

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"common", "cohorts", "modules", "surveys", "projects", "evaluation", "accounts"}
# A formula first (exports), then markup that runs if unescaped, quotes that would end an
# attribute, and a javascript: URL.
PAYLOAD = (
    '=HYPERLINK("javascript:alert(1)")<script>alert(7)</script><img src=x onerror=alert(3)>'
    '"><svg onload=alert(4)>\' onmouseover=\'alert(2)" onfocus="alert(5)'
)
SHORT_PAYLOAD = '"><script>alert(8)</script>'
# Columns that are keys or machine values, not text someone writes.
NOT_FREE_TEXT = {
    "token_hash",
    "code",
    "username",
    "password",
    "session_key",
    "message_id",
    "template",
    "to",
    "kind",
    # Compared with a choice's label to show a follow-up question: filled, no follow-up shows.
    "condition_value",
}
UNSAFE = [
    (re.compile(r"<script>alert", re.I), "an unescaped <script>"),
    (re.compile(r"<(img|svg)[^>]*\son(error|load)=alert", re.I), "an unescaped element with an event handler"),
    (re.compile(r"\son(mouseover|focus)=['\"]alert", re.I), "a quote that ends an attribute"),
    (re.compile(r"(href|src|action|formaction)\s*=\s*['\"]?\s*javascript:", re.I), "a javascript: URL"),
]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def free_text_fields():
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if (
                isinstance(field, models.CharField | models.TextField)
                and not isinstance(field, models.EmailField | models.URLField | models.SlugField)
                and not field.choices
                and not field.unique
                and not field.primary_key
                and field.name not in NOT_FREE_TEXT
            ):
                yield model, field
    user = get_user_model()
    yield from ((user, user._meta.get_field(name)) for name in ("first_name", "last_name"))


def _payload_for(field):
    """The payload, ending in the row's id (some text columns are unique together with others)."""
    limit = (field.max_length or len(PAYLOAD) + 20) - 20
    text = PAYLOAD[:limit] if limit >= 60 else SHORT_PAYLOAD[: max(limit, 1)]
    return Concat(Value(text), Cast(F("pk"), output_field=models.CharField()))


def unsafe_parts(html: str) -> list[str]:
    return [what for pattern, what in UNSAFE if pattern.search(html)]


class Site:
    pass


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), pages.demo_loaded() as cohort:
        site = Site()
        site.values = pages.demo_prepare()
        site.cohort = cohort
        # Everything below is rolled back, so that the demo is removed as it was loaded.
        with transaction.atomic():
            # The demo has no showcase feedback yet: a facilitator gives some (to be filled below).
            facilitator = cohort.memberships.filter(role=Membership.Role.FACILITATOR).first()
            for presentation in Presentation.objects.filter(cohort=cohort):
                presentation_feedback_give(presentation=presentation, author=facilitator, went_well="Clear")
            site.poisoned = {}
            for model, field in free_text_fields():
                count = model._default_manager.update(**{field.name: _payload_for(field)})
                if count:
                    site.poisoned[f"{model._meta.label}.{field.name}"] = count
            site.clients = hostile.role_clients(raise_request_exception=True)
            yield site
            transaction.set_rollback(True)


def test_the_payload_reached_the_fields_people_fill(site):
    for column in [
        "cohorts.Person.full_name",
        "cohorts.Person.job_title",
        "surveys.Answer.text",
        "modules.PDSACycle.do_notes",
        "projects.ImprovementProject.aim",
        "projects.DriverNode.text",
        "projects.DataPoint.note",
        "projects.SetMeeting.notes",
        "projects.PresentationFeedback.went_well",
        "projects.PresentationFeedback.even_better_if",
        "modules.Module.title",
    ]:
        assert column in site.poisoned, f"{column} was not filled: {sorted(site.poisoned)}"


PAGES = [page for page in pages.pages() if page.submit is None and page.status == 200]


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_every_page_renders_the_payload_inert(site, page):
    client = site.clients[page.role]
    if page.role == Role.SIGNED_OUT:
        client = type(client)(raise_request_exception=True)
    response = client.get(page.path(site.values), follow=True)
    assert response.status_code == 200, page
    html = response.content.decode()
    assert not unsafe_parts(html), (str(page), unsafe_parts(html))


def test_pages_show_the_payload_escaped(site):
    """The check above must be able to fail: the payload is on the pages, escaped."""
    participants = site.clients[Role.FACILITATOR].get(
        reverse("modules:module_detail", kwargs={"cohort_pk": site.values["cohort_pk"], "number": 1})
    )
    assert "&lt;script&gt;alert(" in participants.content.decode()
    assert unsafe_parts(PAYLOAD)


@pytest.mark.parametrize("template", sorted(MAILS))
def test_every_html_mail_renders_the_payload_inert(site, template):
    message = MAILS[template](site.cohort)
    html = next(content for content, mimetype in message.alternatives if mimetype == "text/html")
    assert "&lt;script&gt;alert(" in html or "&lt;script&gt;" in html, f"{template}: no payload to check"
    assert not unsafe_parts(html), (template, unsafe_parts(html))
    assert "\n" not in message.subject


# Every download of the URLconf (tests/pages.py leaves them out of the pages, with the reason),
# in each format it offers; the spreadsheets among them are checked cell by cell.
DOWNLOADS = [
    (name, fmt)
    for name in sorted(pages.EXCLUDED)
    for fmt in (
        ("csv", "xlsx") if "fmt" in next(p for p in pages.url_patterns() if p.name == name).kwarg_names else ("",)
    )
]


def _assert_pdf_inert(name, content: bytes):
    """A PDF (the impact report): the payload is there as text, no link runs JavaScript, and the
    document has no script of its own (no /JavaScript name tree, no /OpenAction)."""
    reader = PdfReader(io.BytesIO(content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "alert(" in text, f"{name}: none of the payload to check"
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            assert not str(action.get("/URI", "")).strip().lower().startswith("javascript:"), name
            assert action.get("/S") != "/JavaScript", name
    root = reader.trailer["/Root"]
    assert "/OpenAction" not in root, name
    assert "/JavaScript" not in (root.get("/Names") or {}), name


# Blank registration-list templates: no data of anyone's in them.
TEMPLATES_WITHOUT_DATA = {"cohorts:participant_import_template", "cohorts:participant_import_template_xlsx"}


def _cells(response) -> list[str] | None:
    """The text cells of a CSV or XLSX download, or None for anything else."""
    kind = response.get("Content-Type", "")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if kind.startswith("text/csv"):
        return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]
    if "spreadsheetml" in kind:
        cells = []
        for sheet in load_workbook(io.BytesIO(content)).worksheets:
            cells += [cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
        return cells
    return None


@pytest.mark.parametrize(("name", "fmt"), DOWNLOADS, ids=[f"{name}-{fmt}" for name, fmt in DOWNLOADS])
def test_every_spreadsheet_download_holds_no_formula(site, name, fmt):
    values = {**site.values, name: {"fmt": fmt}} if fmt else site.values
    options = pages.DEFAULT_PAGE_OPTIONS.get(name) or {}
    response = site.clients[Role.FACILITATOR].get(pages.page_path(name, values, options.get("kwargs")))
    if response.status_code == 200 and response.get("Content-Type", "").startswith("application/pdf"):
        _assert_pdf_inert(name, b"".join(response.streaming_content) if response.streaming else response.content)
        return
    cells = _cells(response) if response.status_code == 200 else None
    if cells is None:
        # Not a spreadsheet (a PDF, slides, a calendar, JSON) or not the facilitator's to download.
        assert response.status_code in (200, 302, 403, 404), (name, response.status_code)
        return
    if name not in TEMPLATES_WITHOUT_DATA:
        assert [cell for cell in cells if "HYPERLINK" in cell], f"{name}: none of the payload to check"
    assert not [cell for cell in cells if cell.startswith(FORMULA_PREFIXES)], name
