"""Shared parts of the hostile-input tests (tests/test_hostile_*.py): every form the URLconf has,
found from the pages that show it, the demo signed in as each role, and row counts of every table.

Forms are found, not listed: every page of tests/pages.py is opened as its role and each ``<form
method="post">`` on it is read (its action, its fields, the values its fields offer). A POST pattern
is then fuzzed with the fields the page really shows (a survey's questions, a register's rows); one
that no page shows is fuzzed with its form class's fields, or with none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote_plus, urlsplit

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from tests import pages
from tests.pages import Pattern, Role

# POST patterns not fuzzed, with the reason. Adding one is a decision: say why.
EXCLUDED_POST = {}


def accepts_post(pattern: Pattern) -> bool:
    view_class = getattr(pattern.callback, "view_class", None)
    if view_class is None:
        return False
    allowed = getattr(pattern.callback, "view_initkwargs", {}).get("http_method_names", view_class.http_method_names)
    return "post" in allowed and hasattr(view_class, "post")


def post_patterns() -> list[Pattern]:
    found, seen = [], set()
    for pattern in pages.url_patterns():
        if pattern.name and pattern.name not in seen and accepts_post(pattern):
            seen.add(pattern.name)
            found.append(pattern)
    return found


# Strings no form should choke on. Lone surrogates cannot be sent as UTF-8; they go out as
# the bytes Python's "surrogatepass" makes of them (invalid UTF-8), as a broken client would.
HOSTILE_VALUES = [
    "",
    " ",
    "x" * 100_000,
    "\x00",
    "a\x00b",
    "\ud800",
    "abc\udfff",
    "-1",
    "0",
    "99999999999999999999999",
    "-99999999999999999999999",
    "1e309",
    "NaN",
    "-inf",
    "3.5",
    "not-a-number",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "0000-00-00",
    "2026-02-30",
    "-0001-01-01",
    "2026-13-01",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "25:61",
    "no-such-choice",
    "<script>alert(1)</script>",
    '" onmouseover="alert(1)',
    "javascript:alert(1)",
    "\U0001f642" * 2000,
    "\u202e\u200b",
    "../../../etc/passwd",
    "=cmd|'/c calc'!A0",
    "on",
    "[]",
    "{}",
    "\r\n\r\n",
    "%00",
    "' OR 1=1 --",
]


def encode_form(data: list[tuple[str, str]]) -> bytes:
    """application/x-www-form-urlencoded, keeping lone surrogates as invalid UTF-8 bytes."""
    return "&".join(
        f"{quote_plus(name.encode('utf-8', 'surrogatepass'))}={quote_plus(value.encode('utf-8', 'surrogatepass'))}"
        for name, value in data
    ).encode("ascii")


@dataclass
class FormSpec:
    """A form as a page shows it: where it posts, its fields and the values each offers."""

    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self, page_path):
        super().__init__(convert_charrefs=True)
        self.page_path, self.forms, self._form, self._select, self._textarea = page_path, [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "option" and self._form is not None and self._select:
            self._form.fields[self._select].append(a.get("value") or "")
        elif tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = FormSpec(action=urlsplit(a.get("action") or self.page_path).path or self.page_path)
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            if a.get("type") in ("submit", "button", "image", "reset"):
                return
            self._form.fields.setdefault(a["name"], []).append(a.get("value") or "")
        elif tag == "select":
            self._select = a["name"]
            self._form.fields.setdefault(self._select, [])
        elif tag == "textarea":
            self._form.fields.setdefault(a["name"], []).append("")
        elif tag == "button" and a.get("value") is not None:
            self._form.fields.setdefault(a["name"], []).append(a["value"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_on(html: str, page_path: str) -> list[FormSpec]:
    parser = _FormParser(page_path)
    parser.feed(html)
    return parser.forms


def url_name(path: str) -> str:
    try:
        match = resolve(path)
    except Resolver404:
        return ""
    return match.view_name


def role_clients(raise_request_exception=True) -> dict[Role, Client]:
    """A client signed in as each demo role (and one signed out); sessions are committed rows that
    ``pages.demo_loaded`` removes again."""
    clients = {Role.SIGNED_OUT: Client(raise_request_exception=raise_request_exception)}
    for role, user in pages.role_users().items():
        client = Client(raise_request_exception=raise_request_exception)
        client.force_login(user)
        clients[role] = client
    return clients


# URL values of POST-only patterns that the default demo values do not reach (as
# ``pages.DEFAULT_PAGE_OPTIONS`` gives them for pages).
POST_KWARGS = {
    # Key impacts exist in the finished cohort's impact report (reports/demo.py).
    "reports:key_impact_move": {"cohort_pk": pages.Demo("finished_cohort"), "impact_pk": pages.Demo("key_impact")},
    # The evaluation's surveys' mail pages are named by kind; the finished cohort has them.
    **{
        f"surveys:{name}": {
            "cohort_pk": pages.Demo("finished_cohort"),
            "kind": "self_post",
            "pk": pages.Demo("self_post_invitation"),
        }
        for name in ("invitation_resend_by_kind", "invitations_resend_failed_by_kind")
    },
}


def post_path(name: str, values: dict) -> str:
    options = pages.DEFAULT_PAGE_OPTIONS.get(name) or {}
    return pages.page_path(name, values, POST_KWARGS.get(name) or options.get("kwargs"))


def post_values(values: dict) -> dict:
    """The demo values for URL keywords that only POST patterns use (an Act item, a set's action,
    a data point, an invitation), on top of ``pages.demo_prepare()``'s."""
    from modules.models import ActItem
    from projects.models import DataPoint, SetAction
    from surveys.models import Invitation

    item = ActItem.objects.filter(cycle__module__cohort_id=values["cohort_pk"], cycle__module__number=1).first()
    invitation = Invitation.objects.filter(survey__module__cohort_id=values["cohort_pk"], survey__module__number=1)
    own = Invitation.objects.filter(membership_id=values["membership_pk"], survey__module__number=4).first()
    self_post = Invitation.objects.filter(survey__cohort_id=values["finished_cohort"], survey__kind="self_post")
    return {
        **values,
        "self_post_invitation": self_post.first().pk,
        "item_pk": item.pk,
        "action_pk": SetAction.objects.filter(action_learning_set_id=values["set_pk"]).first().pk,
        "point_pk": DataPoint.objects.filter(measure_id=values["measure_pk"]).first().pk,
        # The Act items of module 1's cycle are toggled on module 2's page.
        "modules:act_item_toggle": {"number": 2},
        "surveys:invitation_link_create": {"pk": invitation.first().pk},
        "surveys:invitation_resend": {"pk": invitation.first().pk},
        "surveys:my_invitation_answer": {"pk": own.pk},
    }


def discover_forms(clients: dict[Role, Client], values: dict, answer_client: Client) -> dict[tuple[str, Role], dict]:
    """(URL name, role) -> fields as the pages show them to that role."""
    found: dict[tuple[str, Role], dict] = {}
    visits = [(page, clients[page.role]) for page in pages.pages() if page.submit is None and page.status == 200]
    for page, client in visits:
        try:
            path = page.path(values)
        except KeyError:
            continue
        response = client.get(path, follow=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        final_path = response.request["PATH_INFO"]
        for form in forms_on(response.content.decode(), final_path):
            name = url_name(form.action)
            if name:
                found.setdefault((name, page.role), {}).update(form.fields)
    answer = answer_client.get(reverse("surveys:answer"))
    for form in forms_on(answer.content.decode(), reverse("surveys:answer")):
        if url_name(form.action) == "surveys:answer":
            found[("surveys:answer", Role.SIGNED_OUT)] = form.fields
    return found


def form_class_fields(pattern: Pattern) -> dict[str, list[str]]:
    form_class = getattr(getattr(pattern.callback, "view_class", None), "form_class", None)
    fields = getattr(form_class, "base_fields", {}) if form_class else {}
    return {name: [str(value) for value, _ in getattr(f, "choices", [])][:20] or [""] for name, f in fields.items()}


def _tables() -> list[str]:
    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy and model._meta.db_table != "django_session"
        }
    )


def row_counts() -> dict[str, int]:
    """Rows in every table of the project (sessions aside), in one query."""
    tables = _tables()
    quote = connection.ops.quote_name
    # Table names from the models, quoted: no outside input reaches this SQL.
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


# What a page that refuses input shows: the error summary, a field's error, or an error page.
ERROR_MARKERS = (
    'role="alert"',
    "alert-danger",
    "invalid-feedback",
    "is-invalid",
    "errorlist",
    "<h1>Bad request",
    "Page not found",
    "Not found",
    "Forbidden",
    "Not allowed",
    "Too many requests",
    # The neutral page of survey and sign-in links that cannot be used.
    "This survey link cannot be used",
    "This link no longer works",
)


def shows_error(content: str) -> bool:
    return any(marker in content for marker in ERROR_MARKERS)


def session_cookie(client: Client):
    return client.cookies.get(settings.SESSION_COOKIE_NAME)
