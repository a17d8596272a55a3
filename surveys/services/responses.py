"""Validating and saving a participant's answers."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import Action, Event, audit_event
from surveys.compiled import (
    ANSWER_FIELDS,
    RESPONSE_FIELDS,
    answers_insert_sql,
    instance,
    prepared,
    prepared_column,
)
from surveys.models import Answer, Invitation, Question, Response, Survey
from surveys.structure import questions_for_set
from surveys.tokens import edit_key_for, pseudonym_for

from .surveys import invitation_for_token

SHORT_TEXT_MAX = 500
LONG_TEXT_MAX = 5000

# Raw answers are keyed by question code; a question's "then" rating and a text answer's quote
# consent come as "<code>__then" and "<code>__consent". Cleaned, they sit beside the question's
# value under (question id, THEN) and (question id, CONSENT).
THEN = "then"
CONSENT = "consent"


class ResponseLockedError(Exception):
    """An anonymous participant who answered through one of their links tried another one: only the
    link that gave an anonymous answer can change it (see ``InvitationLink``)."""


def _is_empty(value) -> bool:
    return value is None or value == "" or value == []


def answer_clean(*, question: Question, value, choice_labels: Iterable[str] = ()):
    """The stored form of one raw answer (int, str or list of labels); ValidationError if invalid."""
    if _is_empty(value):
        return None
    if question.is_numeric:
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            raise ValidationError(_("Choose one of the options.")) from None
        if number not in question.scale:
            raise ValidationError(_("Choose one of the options."))
        return number
    if question.kind == Question.Kind.SINGLE_CHOICE:
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
        if value not in set(choice_labels):
            raise ValidationError(_("Choose one of the options."))
        return value
    if question.kind == Question.Kind.MULTIPLE_CHOICE:
        values = value if isinstance(value, list) else [value]
        labels = list(choice_labels)
        if any(v not in labels for v in values):
            raise ValidationError(_("Choose from the options shown."))
        values = [label for label in labels if label in values]
        if question.max_choices and len(values) > question.max_choices:
            raise ValidationError(
                _("Choose at most %(n)s options; you chose %(m)s.") % {"n": question.max_choices, "m": len(values)}
            )
        return values
    text = str(value).strip()
    limit = SHORT_TEXT_MAX if question.kind == Question.Kind.SHORT_TEXT else LONG_TEXT_MAX
    if len(text) > limit:
        raise ValidationError(
            _("Keep this answer to %(limit)s characters; it has %(n)s.") % {"limit": limit, "n": len(text)}
        )
    return text or None


def condition_met(*, question: Question, answers: dict) -> bool:
    """Whether ``question`` is shown, given cleaned answers keyed by question id (conditions chain)."""
    condition = question.condition_question
    if condition is None:
        return True
    value = answers.get(condition.pk)
    if value is None:
        return False
    if isinstance(value, list):
        return question.condition_value in value
    return str(value) == question.condition_value


def answers_clean(*, questions: list[Question], raw: dict, consent_levels: Iterable[str] = ()) -> dict:
    """Clean raw answers keyed by question code into {question id: value}, in question order.

    Answers to questions hidden by a condition are dropped; a required question is only required
    when shown. A question that ``asks_then`` needs its "then" rating whenever it needs its "now"
    rating, and a "then" rating is kept only beside a "now" one. A text answer's quote consent must be
    one of ``consent_levels`` (the survey's ``quote_consent_levels``); "no" when absent. Raises
    ValidationError keyed by question code ("<code>__then" for the "then" rating).
    """
    cleaned, errors = {}, {}
    for question in questions:
        labels = [c.label for c in question.choices.all()]
        try:
            value = answer_clean(question=question, value=raw.get(question.code), choice_labels=labels)
        except ValidationError as exc:
            errors[question.code] = exc.messages
            continue
        shown = condition_met(question=question, answers=cleaned)
        if not shown:
            continue
        if value is None:
            if question.required:
                errors[question.code] = [_("Answer this question.")]
            continue
        cleaned[question.pk] = value
        if question.asks_then:
            then = _then_clean(question=question, value=raw.get(f"{question.code}__then"), errors=errors)
            if then is not None:
                cleaned[question.pk, THEN] = then
        if question.is_text:
            consent = raw.get(f"{question.code}__consent") or Answer.QuoteConsent.NONE
            if consent not in set(consent_levels) | {Answer.QuoteConsent.NONE}:
                errors[question.code] = [_("Choose one of the options for quoting your answer.")]
                continue
            cleaned[question.pk, CONSENT] = consent
    if errors:
        raise ValidationError(errors)
    return cleaned


def _then_clean(*, question: Question, value, errors: dict) -> int | None:
    key = f"{question.code}__then"
    if _is_empty(value):
        if question.required:
            errors[key] = [_("Rate where you were before the programme too.")]
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if number not in question.scale:
        errors[key] = [_("Choose one of the options.")]
        return None
    return number


def survey_questions(survey: Survey) -> list[Question]:
    """The survey's questions in order, with their choices and conditions: the set version's cached
    structure (``surveys.structure``), read again only after the set changed. Load the survey with
    ``select_related("question_set")`` to spare the query for the set's version stamp. The questions
    are shared between requests: read them, never change them."""
    return questions_for_set(question_set_id=survey.question_set_id, stamp=survey.question_set.updated_at)


def _respondent_lookup(*, survey: Survey, invitation: Invitation, token: str) -> dict:
    if survey.privacy == Survey.Privacy.NAMED:
        return {"membership_id": invitation.membership_id}
    if survey.privacy == Survey.Privacy.PSEUDONYMOUS:
        return {"pseudonym": pseudonym_for(invitation.membership_id)}
    return {"edit_key": edit_key_for(token)}


def response_for_token(*, invitation: Invitation, token: str) -> Response | None:
    """The response this link holder already gave, with answers and choices prefetched."""
    lookup = _respondent_lookup(survey=invitation.survey, invitation=invitation, token=token)
    return (
        Response.objects.filter(survey_id=invitation.survey_id, **lookup).prefetch_related("answers__choices").first()
    )


def _day(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def _invitation_locked(*, invitation: Invitation, token: str, now: datetime.datetime) -> Invitation:
    """The invitation row read again for a save, locked (``invitation_for_token(lock=True)``: FOR
    UPDATE, its survey and question set FOR SHARE) and re-checked under the lock: the link must still
    be one of this invitation's links, and its survey must still accept answers."""
    locked = invitation_for_token(token=token, now=now, lock=True)
    if locked is None or locked.pk != invitation.pk:
        raise ValidationError(_("This survey link is no longer valid."), code="invalid_link")
    return locked


@transaction.atomic
def response_submit(
    *, invitation: Invitation, token: str, raw_answers: dict, now: datetime.datetime | None = None
) -> Response:
    """Check raw answers (keyed by question code) and save them, for callers without the answering
    form (demo data, scripts). The answering page validates in its form and calls ``response_save``."""
    now = now or timezone.now()
    invitation = _invitation_locked(invitation=invitation, token=token, now=now)
    questions = survey_questions(invitation.survey)
    answers = answers_clean(questions=questions, raw=raw_answers, consent_levels=invitation.survey.quote_consent_levels)
    return _response_write(invitation=invitation, token=token, questions=questions, answers=answers, now=now)


def response_save(
    *,
    invitation: Invitation,
    token: str,
    questions: list[Question],
    answers: dict,
    now: datetime.datetime | None = None,
    locked: bool = False,
) -> Response:
    """Save answers already checked by ``answers_clean`` against ``questions``, which are
    ``survey_questions(invitation.survey)`` as the answering form saw them.

    ``locked=True``: ``invitation`` was read by ``invitation_for_token(lock=True)`` in the
    transaction this runs in (the answering page's POST: one read, locked, for the form and the
    save), so it is written at once. Otherwise, in a transaction of its own, the invitation is read
    again under the row lock and what can change while someone answers is checked again: the link
    and the survey's window, the survey's question set (facilitators may switch it until someone has
    answered). Either way an anonymous answer already final is refused (``ResponseLockedError``).
    """
    now = now or timezone.now()
    if locked:
        if not connection.in_atomic_block:
            raise RuntimeError("response_save(locked=True) runs in the transaction that locked the invitation")
        return _response_write(invitation=invitation, token=token, questions=questions, answers=answers, now=now)
    with transaction.atomic():
        fresh = _invitation_locked(invitation=invitation, token=token, now=now)
        if fresh.survey.question_set_id != invitation.survey.question_set_id:
            raise ValidationError(
                _(
                    "The questions of this survey changed while you were answering. "
                    "Check your answers and send them again."
                ),
                code="questions_changed",
            )
        return _response_write(invitation=fresh, token=token, questions=questions, answers=answers, now=now)


def _response_write(
    *, invitation: Invitation, token: str, questions: list[Question], answers: dict, now: datetime.datetime
) -> Response:
    """The first submit creates the response, later ones replace its answers. Call with the invitation
    row locked (``_invitation_locked``).

    Idempotent under double submit and retries: the invitation row is locked, and the unique keys on
    Response (membership, pseudonym or edit key) stop a second row even without the lock.
    """
    survey = invitation.survey
    anonymous = survey.privacy == Survey.Privacy.ANONYMOUS
    stamp = _day(now) if anonymous else now
    lookup = _respondent_lookup(survey=survey, invitation=invitation, token=token)
    rows, chosen = _answer_rows(questions=questions, answers=answers)
    answered_now = stamp if invitation.responded_at is None else None
    # Every response marks its invitation answered, so an invitation that is not has none to find
    # (and if one were there all the same, the unique key below would find it).
    response = None
    if invitation.responded_at is not None:
        response = Response.objects.select_for_update().filter(survey=survey, **lookup).order_by().first()
    created, written = response is None, False
    if created:
        if invitation.answer_is_final:
            raise ResponseLockedError
        values = {"membership_id": None, "pseudonym": "", "edit_key": None, **lookup}
        profession = "" if anonymous else invitation.membership.person.profession
        values.update(survey_id=survey.pk, profession=profession, submitted_at=stamp, updated_at=stamp)
        if connection.vendor == "postgresql":
            # The response, its answers and the invitation's mark in one statement (nothing written
            # where the respondent already has a response).
            response = _response_and_answers_insert(values, rows, chosen, invitation.pk, answered_now)
            written = response is not None
        else:
            response = _response_insert(values)
        if response is None:
            # A concurrent submit got there first (databases without row locks); update that one.
            response = Response.objects.select_for_update().get(survey=survey, **lookup)
            created = False
    if response.updated_at != stamp:
        response.updated_at = stamp
        response.save(update_fields=["updated_at"])
    if not written:
        if not created:
            response.answers.all().delete()
        _answers_insert(
            response_id=response.pk, rows=rows, chosen=chosen, invitation_id=invitation.pk, answered=answered_now
        )

    if survey.is_named:
        # Only the state, never the content. Pseudonymous and anonymous responses are not recorded:
        # an entry (who, when, from where) would be exactly the link to a person those modes withhold.
        audit_event(
            obj=response,
            event=Event.RESPONSE,
            action=Action.CREATE if created else Action.UPDATE,
            changes={"submitted_at" if created else "updated_at": [None, stamp.isoformat()]},
            repr_=f"Response {response.pk} to survey {survey.pk}",
        )
    if answered_now is not None:
        invitation.responded_at = stamp
    return response


def _answer_rows(*, questions: list[Question], answers: dict) -> tuple[list[tuple], list[tuple]]:
    """The answers' rows (question id, number, text, then number, quote consent) and the chosen
    choices (question id, choice id) of ``answers`` as ``answers_clean`` gives them."""
    by_id = {q.pk: q for q in questions}
    rows, chosen = [], []
    for question_id, value in answers.items():
        if isinstance(question_id, tuple):
            continue  # a "then" rating or a quote consent, saved with its question's answer
        question = by_id[question_id]
        rows.append(
            (
                question.pk,
                value if question.is_numeric else None,
                value if question.is_text else "",
                answers.get((question_id, THEN)),
                answers.get((question_id, CONSENT), Answer.QuoteConsent.NONE),
            )
        )
        if question.is_choice:
            labels = value if isinstance(value, list) else [value]
            choice_ids = {c.label: c.pk for c in question.choices.all()}
            chosen += [(question.pk, choice_ids[label]) for label in labels]
    return rows, chosen


def _response_insert(values: dict) -> Response | None:
    """The new response (the ORM's INSERT), or None if a unique key already holds this respondent's
    (then nothing is written and the transaction goes on)."""
    try:
        with transaction.atomic():
            return Response.objects.create(**values)
    except IntegrityError:
        return None


def _response_and_answers_insert(
    values: dict, rows: list[tuple], chosen: list[tuple], invitation_id: int, answered: datetime.datetime | None
) -> Response | None:
    """PostgreSQL: the new response with its answers, their choices and, when ``answered`` is a time,
    the invitation marked, in one statement (``answers_insert_sql(with_response=True)``); or None,
    with nothing written, if a unique key already holds this respondent's response."""
    params = prepared(Response, RESPONSE_FIELDS, tuple(values[name] for name in RESPONSE_FIELDS), connection)
    params += _answer_params(rows, chosen, invitation_id, answered)
    with connection.cursor() as cursor:
        cursor.execute(answers_insert_sql(connection.alias, answered is not None, with_response=True), params)
        row = cursor.fetchone()
    return None if row is None else instance(Response, id=row[0], **values)


def _answer_params(rows: list[tuple], chosen: list[tuple], invitation_id: int, answered) -> list:
    """``answers_insert_sql``'s parameters after the response's: an array per answer column, an
    element per answer; the time and the invitation if ``answered``; the chosen choices' arrays."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * (len(ANSWER_FIELDS) - 1)
    params = [
        prepared_column(Answer, name, column, connection)
        for name, column in zip(ANSWER_FIELDS[1:], columns, strict=True)
    ]
    if answered is not None:
        params += [Invitation._meta.get_field("responded_at").get_db_prep_save(answered, connection), invitation_id]
    return [*params, [question for question, _choice in chosen], [choice for _question, choice in chosen]]


def _answers_insert(
    *, response_id: int, rows: list[tuple], chosen: list[tuple], invitation_id: int, answered: datetime.datetime | None
) -> None:
    """A response's answers (question id, number, text, then number, quote consent), the choices of
    its choice questions (question id, choice id) and, when ``answered`` is a time, the invitation
    marked answered then. One statement on PostgreSQL (``surveys.compiled.answers_insert_sql``);
    elsewhere the ORM's. The invitation is updated without its ``updated_at``, which would record
    the exact moment of an answer."""
    if connection.vendor != "postgresql":
        answers = Answer.objects.bulk_create(
            Answer(response_id=response_id, question_id=q, number=n, text=t, then_number=then, quote_consent=c)
            for q, n, t, then, c in rows
        )
        by_question = {answer.question_id: answer.pk for answer in answers}
        through = Answer.choices.through
        through.objects.bulk_create(through(answer_id=by_question[q], choice_id=choice) for q, choice in chosen)
        if answered is not None:
            Invitation.objects.filter(pk=invitation_id).update(responded_at=answered)
        return
    if not rows and answered is None:
        return
    params = prepared(Answer, ANSWER_FIELDS[:1], (response_id,), connection)
    params += _answer_params(rows, chosen, invitation_id, answered)
    sql = answers_insert_sql(connection.alias, answered is not None)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
