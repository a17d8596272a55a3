"""Every HTML e-mail template on disk, sent as the app sends it, meets the rules for accessible mail.

The templates are found by globbing ``templates/**/emails/*.html`` (``_*.html`` are layouts and
pieces included by the others). Each must have an entry in ``MAILS`` that makes the real message
from the demo (``manage.py load_demo``), so a new mail template fails here until it has one.

Rules: ``<html lang>``, a ``<title>``, tables used for layout say ``role="presentation"``, images
have ``alt``, link text makes sense on its own, and the plain-text part says the same: every
paragraph of the HTML is in it, every link's address is in it, and it has nothing the HTML lacks.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.mail import sign_in_link_message
from cohorts.models import Membership
from cohorts.services import person_user_ensure
from evaluation.models import PracticeNudge
from evaluation.services import practice_nudge_message
from surveys.models import Invitation, Survey
from surveys.services import invitation_issue_token, invitation_message, summary_send
from tests.pages import demo_loaded

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
HTML_MAILS = sorted(
    str(path.relative_to(TEMPLATES).with_suffix(""))
    for path in TEMPLATES.glob("**/emails/*.html")
    if not path.name.startswith("_")
)
VAGUE_LINK_TEXTS = {"click here", "here", "link", "this link", "more", "read more", "this", "click", "go"}
BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dd", "dt", "blockquote"}
URL = re.compile(r"https?://\S+")


def _invitation(cohort):
    return Invitation.objects.filter(survey__module__cohort=cohort, survey__module__number=1).first()


def _summary(cohort):
    survey = Survey.objects.get(module__cohort=cohort, module__number=1, status=Survey.Status.CLOSED)
    mail.outbox.clear()
    summary_send(survey_id=survey.pk)
    return mail.outbox[0]


def _practice_nudge(cohort):
    membership = cohort.memberships.filter(role=Membership.Role.PARTICIPANT).order_by("pk").first()
    nudge = PracticeNudge.objects.create(membership=membership, month=timezone.localdate().replace(day=1))
    return practice_nudge_message(nudge)


def _sign_in_link(cohort):
    membership = cohort.memberships.filter(role=Membership.Role.PARTICIPANT).order_by("pk").first()
    return sign_in_link_message(user=person_user_ensure(person=membership.person)).message


# How each HTML mail is made, from the demo's running cohort: the real service, real context.
MAILS = {
    "surveys/emails/invitation": lambda cohort: invitation_message(
        _invitation(cohort), invitation_issue_token(invitation=_invitation(cohort))
    ),
    "surveys/emails/reminder": lambda cohort: invitation_message(
        _invitation(cohort), invitation_issue_token(invitation=_invitation(cohort)), reminder=True
    ),
    "surveys/emails/summary": _summary,
    "evaluation/emails/practice_nudge": _practice_nudge,
    "accounts/emails/sign_in_link": _sign_in_link,
}


class MailHTML(HTMLParser):
    """What the rules need from an HTML mail: lang, title, tables, images, links, text blocks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lang, self.title, self.tables, self.images, self.links, self.blocks = None, "", [], [], [], []
        self._open = []  # (tag, text so far) of open text blocks, links and the title

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "table":
            self.tables.append(attrs)
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "br":
            self.handle_data(" ")
        if tag in BLOCKS | {"a", "title"}:
            self._open.append([tag, "", attrs.get("href")])

    def handle_endtag(self, tag):
        if not self._open or self._open[-1][0] != tag:
            return
        tag, text, href = self._open.pop()
        text = " ".join(text.split())
        if tag == "title":
            self.title = text
        elif tag == "a":
            self.links.append((text, href))
        else:
            self.blocks.append(text)

    def handle_data(self, data):
        for element in self._open:
            # A link's words stand in for its address; the plain text gives the address instead.
            if element[0] != "a" and any(e[0] == "a" for e in self._open[self._open.index(element) + 1 :]):
                continue
            element[1] += data


def _plain(text):
    return " ".join(text.replace("“", '"').replace("”", '"').replace("’", "'").split())


@pytest.fixture(scope="module")
def demo_cohort(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), demo_loaded() as cohort:
        yield cohort


def test_every_html_mail_template_is_checked():
    assert HTML_MAILS, "no HTML mail templates found: the glob is wrong"
    assert sorted(MAILS) == HTML_MAILS, "add how to make each new HTML mail to MAILS"


@pytest.mark.parametrize("template", HTML_MAILS)
def test_html_mail_is_accessible_and_matches_its_plain_text(template, demo_cohort):
    message = MAILS[template](demo_cohort)
    html = next(content for content, mimetype in message.alternatives if mimetype == "text/html")
    parsed = MailHTML()
    parsed.feed(html)
    text = _plain(message.body)

    assert parsed.lang
    assert parsed.lang.lower().startswith(settings.LANGUAGE_CODE.split("-")[0])
    assert parsed.title
    assert all(table.get("role") == "presentation" for table in parsed.tables if "<th" not in html)
    assert all(image.get("alt") is not None for image in parsed.images)
    assert parsed.links, f"{template}: no link"
    for link_text, href in parsed.links:
        assert link_text.lower().strip(" .") not in VAGUE_LINK_TEXTS, f"{template}: link text {link_text!r}"
        assert not URL.fullmatch(link_text), f"{template}: a bare address as link text"
        assert href in message.body, f"{template}: the plain text lacks the link {href}"
    for block in filter(None, parsed.blocks):
        assert _plain(block) in text, f"{template}: the plain text lacks {block!r}"
    # And the other way: each paragraph of the plain text is in the HTML, but for the line that
    # introduces an address (the HTML puts the address behind the link's words instead).
    html_text = _plain(" ".join(parsed.blocks))
    for paragraph in re.split(r"\n\s*\n", message.body):
        words = _plain(URL.sub("", paragraph))
        if URL.search(paragraph) and words.endswith(":"):
            continue
        assert not words or words in html_text, f"{template}: the HTML lacks {words!r}"
