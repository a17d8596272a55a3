"""Subject access (UK GDPR art. 15): everything held about one person, as a ZIP of JSON and CSV.

One file per kind of data; tables are given as CSV too. A fixed number of queries whatever the
person's history. Their anonymous answers are not in it because nothing links a person to an
anonymous response; the README in the ZIP says so.
"""

import csv
import io
import json
import zipfile

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone

from cohorts.models import Membership, Person
from common.audit import entries_about
from common.exports import neutralise
from common.models import SentEmail
from evaluation.models import PracticeMoment, QuoteSelection
from modules.models import Attendance
from projects.models import ImprovementProject, PresentationFeedback, ProgressScore, SetAction, SetMembership
from surveys.erasure import responses_of_person
from surveys.models import Answer, Invitation

README = """Everything Leadership Cohorts holds about {name} (person {pk}), exported {when}.

person.json          contact details, profession, organisation, sign-in account
memberships.*        the cohorts they belong to, in which role, and since when
attendance.*         attendance at each module
invitations.*        survey invitations: sent, responded, reminders
answers.*            their answers to named and pseudonymous surveys. Anonymous answers are not
                     here: nothing in the database links a person to an anonymous answer.
practice_log.*       their practice log, with reflections
projects.json        their action-learning sets and the improvement projects of those sets,
                     the actions they own, feedback they gave, progress scores they recorded
quotes.*             their answers and reflections chosen as quotes for an impact report
mail.*               e-mail sent to them (personal links were removed before storing)
audit.*              the audit trail's entries about them and the changes they made
"""


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({key: neutralise(_cell(value)) for key, value in row.items()})
    return out.getvalue()


def _cell(value):
    if isinstance(value, list | dict):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    return "" if value is None else value


def _person(person: Person) -> dict:
    user = person.user
    return {
        "id": person.pk,
        "full_name": person.full_name,
        "email": person.email,
        "job_title": person.job_title,
        "profession": person.get_profession_display(),
        "team": person.team,
        "organisation": person.organisation.name if person.organisation else None,
        "created_at": person.created_at,
        "updated_at": person.updated_at,
        "account": None
        if user is None
        else {
            "username": user.get_username(),
            "email": user.email,
            "active": user.is_active,
            "staff": user.is_staff,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
    }


def _answers(person: Person) -> list[dict]:
    answers = (
        Answer.objects.filter(response__in=responses_of_person(person))
        .select_related("question", "response__survey__module__cohort", "response__survey__cohort")
        .prefetch_related("choices")
        .order_by("response__survey__cohort_id", "response__survey_id", "question__order", "pk")
    )
    return [
        {
            "cohort": a.response.survey.cohort.name,
            "survey": str(a.response.survey.title),
            "privacy": a.response.survey.get_privacy_display(),
            "submitted_at": a.response.submitted_at,
            "question": a.question.text,
            "number": a.number,
            "before_the_programme": a.then_number,
            "choices": [c.label for c in a.choices.all()],
            "text": a.text,
            "quote_consent": a.get_quote_consent_display(),
        }
        for a in answers
    ]


def _projects(memberships: list[int]) -> dict:
    sets = SetMembership.objects.filter(membership_id__in=memberships).select_related("action_learning_set__cohort")
    set_ids = [s.action_learning_set_id for s in sets]
    projects = ImprovementProject.objects.filter(action_learning_set_id__in=set_ids).order_by("pk")
    return {
        "action_learning_sets": [
            {"cohort": s.action_learning_set.cohort.name, "set": s.action_learning_set.name, "since": s.created_at}
            for s in sets
        ],
        "projects": [
            {
                "set": p.action_learning_set_id,
                "title": p.title,
                "area": p.get_area_display(),
                "status": p.get_status_display(),
                "problem": p.problem,
                "aim": p.aim,
                "stakeholders": p.stakeholders,
                "progress_score": p.progress_score,
            }
            for p in projects
        ],
        "actions_owned": list(
            SetAction.objects.filter(owner_id__in=memberships).values("description", "due_date", "done")
        ),
        "feedback_given": list(
            PresentationFeedback.objects.filter(author_id__in=memberships).values(
                "presentation__title", "went_well", "even_better_if", "created_at"
            )
        ),
        "progress_scores_recorded": list(
            ProgressScore.objects.filter(recorded_by_id__in=memberships).values(
                "project__title", "score", "recorded_at", "note"
            )
        ),
    }


def _audit(person: Person, memberships: list[int], attendance: list[int], moments: list[int]) -> list[dict]:
    about = entries_about(
        [(Person, [person.pk]), (Membership, memberships), (Attendance, attendance), (PracticeMoment, moments)]
        + ([(get_user_model(), [person.user_id])] if person.user_id else [])
    )
    condition = Q(pk__in=about.values("pk"))
    if person.user_id:
        condition |= Q(actor_id=person.user_id)
    entries = LogEntry.objects.filter(condition).select_related("content_type", "actor").order_by("timestamp", "pk")
    return [
        {
            "timestamp": e.timestamp,
            "action": e.get_action_display(),
            "record": f"{e.content_type.app_label}.{e.content_type.model} {e.object_pk}",
            "description": e.object_repr,
            "changes": e.changes,
            "event": (e.additional_data or {}).get("event", ""),
            "by": e.actor.get_username() if e.actor else "",
        }
        for e in entries
    ]


def subject_access_files(*, person: Person, now=None) -> dict[str, str]:
    """{file name: content} of the subject access export."""
    now = now or timezone.now()
    person = Person.objects.select_related("organisation", "user").get(pk=person.pk)
    memberships = list(
        Membership.objects.filter(person=person).values(
            "pk", "cohort__name", "role", "status", "withdrawn_on", "created_at"
        )
    )
    membership_ids = [m["pk"] for m in memberships]
    attendance = list(
        Attendance.objects.filter(membership_id__in=membership_ids)
        .order_by("module__starts_at")
        .values("pk", "module__cohort__name", "module__number", "module__title", "module__starts_at", "status")
    )
    invitations = list(
        Invitation.objects.filter(membership_id__in=membership_ids)
        .order_by("survey_id")
        .values(
            "survey__cohort__name",
            "survey__kind",
            "survey__module__number",
            "status",
            "sent_at",
            "responded_at",
            "reminders_sent",
        )
    )
    moments = list(
        PracticeMoment.objects.filter(membership_id__in=membership_ids)
        .order_by("date", "pk")
        .values("pk", "date", "method", "with_whom", "reflection", "shared_with_set", "quote_consent", "created_at")
    )
    moment_ids = [m["pk"] for m in moments]
    answers = _answers(person)
    quotes = list(
        QuoteSelection.objects.filter(
            Q(practice_moment_id__in=moment_ids) | Q(answer__response__in=responses_of_person(person))
        ).values("cohort__name", "answer__text", "practice_moment__reflection", "created_at")
    )
    mail = list(
        SentEmail.objects.filter(to__iexact=person.email)
        .order_by("created_at", "pk")
        .values("created_at", "kind", "subject", "status", "body")
    )
    tables = {
        "memberships": memberships,
        "attendance": attendance,
        "invitations": invitations,
        "answers": answers,
        "practice_log": moments,
        "quotes": quotes,
        "mail": mail,
        "audit": _audit(person, membership_ids, [a["pk"] for a in attendance], moment_ids),
    }
    dump = {"ensure_ascii": False, "indent": 2}
    files = {
        "README.txt": README.format(name=person.full_name, pk=person.pk, when=timezone.localtime(now).isoformat()),
        "person.json": json.dumps(_person(person), cls=DjangoJSONEncoder, **dump),
        "projects.json": json.dumps(_projects(membership_ids), cls=DjangoJSONEncoder, **dump),
    }
    for name, rows in tables.items():
        files[f"{name}.json"] = json.dumps(rows, cls=DjangoJSONEncoder, **dump)
        files[f"{name}.csv"] = _csv(rows)
    return files


def subject_access_zip(*, person: Person, now=None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in subject_access_files(person=person, now=now).items():
            archive.writestr(name, content)
    return buffer.getvalue()
