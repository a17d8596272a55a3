"""Writes of the impact report: the facilitators' key impacts and narrative, publishing (which
freezes the report), and the staff's corrections of a published report.

A published report is read-only for facilitators: what the commissioner received must not change
under them. Staff can take it back to draft (the next publication freezes the figures of that day)
or take a single quote out of it when its author asks, and an erasure takes the person's quotes out
of every report (``report_quotes_remove_for_person``, from ``cohorts.signals.person_erasing``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cohorts.models import Cohort, Membership, Person
from common.ordering import order_swap_with_neighbour
from evaluation import quote_selectors, quote_services
from evaluation.models import PracticeMoment, QuoteSelection
from modules.models import Module
from projects.models import ImprovementProject
from surveys.models import Answer, Survey
from surveys.tokens import pseudonym_for

from . import selectors
from .models import ImpactReport, KeyImpact

FIXED_EVIDENCE = {key for key, _title in selectors.SECTIONS} - {"key-impacts", "narrative"}


def _locked(report: ImpactReport) -> ImpactReport:
    return ImpactReport.objects.select_for_update().get(pk=report.pk)


def _refuse_if_published(report: ImpactReport) -> None:
    if report.is_published:
        raise ValidationError(
            _("The report is published and can no longer be changed. Staff can take it back to draft."),
            code="published",
        )


@transaction.atomic
def report_ensure(*, cohort: Cohort) -> ImpactReport:
    """The cohort's report, made (as a draft) the first time something is written to it."""
    report, _created = ImpactReport.objects.get_or_create(cohort=cohort)
    return report


def _evidence_check(report: ImpactReport, evidence: str) -> str:
    evidence = (evidence or "").strip()
    if not evidence or evidence in FIXED_EVIDENCE:
        return evidence
    kind, _sep, pk = evidence.partition(":")
    if (
        kind == "project"
        and pk.isdigit()
        and ImprovementProject.objects.filter(pk=int(pk), action_learning_set__cohort_id=report.cohort_id).exists()
    ):
        return evidence
    raise ValidationError({"evidence": _("Choose a section of this report as the evidence.")}, code="evidence")


def _text_check(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the key impact.")}, code="required")
    return text


@transaction.atomic
def key_impact_create(*, cohort: Cohort, text: str, evidence: str = "") -> KeyImpact:
    report = _locked(report_ensure(cohort=cohort))
    _refuse_if_published(report)
    text, evidence = _text_check(text), _evidence_check(report, evidence)
    last = report.key_impacts.aggregate(last=Max("order"))["last"]
    return KeyImpact.objects.create(report=report, text=text, evidence=evidence, order=(last or 0) + 1)


@transaction.atomic
def key_impact_update(*, impact: KeyImpact, text: str, evidence: str = "") -> KeyImpact:
    report = _locked(impact.report)
    _refuse_if_published(report)
    impact.text, impact.evidence = _text_check(text), _evidence_check(report, evidence)
    impact.save(update_fields=["text", "evidence", "updated_at"])
    return impact


@transaction.atomic
def key_impact_delete(*, impact: KeyImpact) -> None:
    report = _locked(impact.report)
    _refuse_if_published(report)
    impact.delete()


@transaction.atomic
def key_impact_move(*, impact: KeyImpact, up: bool) -> None:
    """Swap a key impact with its neighbour above (``up``) or below; at either end nothing moves."""
    report = _locked(impact.report)
    _refuse_if_published(report)
    impacts = list(report.key_impacts.order_by("order", "pk"))
    index = next(i for i, each in enumerate(impacts) if each.pk == impact.pk)
    order_swap_with_neighbour(impacts, index, up=up)


@transaction.atomic
def report_narrative_update(*, cohort: Cohort, limitations: str, recommendations: str) -> ImpactReport:
    report = _locked(report_ensure(cohort=cohort))
    _refuse_if_published(report)
    report.limitations, report.recommendations = limitations.strip(), recommendations.strip()
    report.full_clean(exclude=["cohort", "published_by", "snapshot"])
    report.save(update_fields=["limitations", "recommendations", "updated_at"])
    return report


def report_publish_problems(*, cohort: Cohort, report: ImpactReport | None) -> list[str]:
    """Why the report cannot be published yet (empty: it can)."""
    problems = []
    if Module.objects.filter(cohort=cohort).exclude(state=Module.State.DELIVERED).exists():
        problems.append(_("Not every module has been delivered: the programme has not finished."))
    if report is None or not report.key_impacts.exists():
        problems.append(_("Write at least one key impact."))
    return problems


@transaction.atomic
def report_publish(*, report: ImpactReport, by) -> ImpactReport:
    """Freeze the report: store the figures, quotes and texts of this moment, and who published it."""
    report = _locked(report)
    _refuse_if_published(report)
    problems = report_publish_problems(cohort=report.cohort, report=report)
    if problems:
        raise ValidationError(problems, code="not_ready")
    now = timezone.now()
    data = selectors.report_data_build(cohort=report.cohort, report=report)
    data["status"] = ImpactReport.Status.PUBLISHED.value
    data["published_at"] = now.isoformat()
    data["published_by"] = _publisher_name(by)
    report.status = ImpactReport.Status.PUBLISHED
    report.snapshot, report.snapshot_version = data, ImpactReport.SNAPSHOT_VERSION
    report.published_at, report.published_by = now, by
    report.save()
    return report


@transaction.atomic
def report_publish_for_cohort(*, cohort: Cohort, by) -> ImpactReport:
    """Publish the cohort's report, making its draft first if need be: a refusal leaves no draft
    behind (one transaction, undone by the ValidationError)."""
    return report_publish(report=report_ensure(cohort=cohort), by=by)


def _publisher_name(user) -> str:
    person = Person.objects.filter(user=user).first()
    return person.full_name if person else (user.get_full_name() or user.get_username())


def _refuse_unless_staff(by) -> None:
    if not by.is_staff:
        raise ValidationError(_("Only the provider's staff can change a published report."), code="staff_only")


@transaction.atomic
def report_unpublish(*, report: ImpactReport, by) -> ImpactReport:
    """Back to draft (staff only): the snapshot goes; the key impacts and narrative stay."""
    _refuse_unless_staff(by)
    report = _locked(report)
    if not report.is_published:
        raise ValidationError(_("The report is not published."), code="not_published")
    report.status = ImpactReport.Status.DRAFT
    report.snapshot = report.snapshot_version = report.published_at = report.published_by = None
    report.save()
    return report


def _without_quotes(snapshot: dict, keep) -> tuple[dict, int]:
    quotes = snapshot.get("quotes", [])
    kept = [q for q in quotes if keep(q)]
    return {**snapshot, "quotes": kept}, len(quotes) - len(kept)


@transaction.atomic
def report_snapshot_quote_remove(*, report: ImpactReport, key: str, by) -> ImpactReport:
    """Take one quote out of a published report (staff only), e.g. when its author asks."""
    _refuse_unless_staff(by)
    report = _locked(report)
    if not report.is_published:
        raise ValidationError(_("The report is not published: take the quote out on the quotes page."), code="draft")
    snapshot, removed = _without_quotes(report.snapshot, lambda q: q["key"] != key)
    if not removed:
        raise ValidationError(_("This quote is not in the published report."), code="unknown")
    report.snapshot = snapshot
    report.save(update_fields=["snapshot", "updated_at"])
    return report


def _source_keys_of(person: Person) -> list[tuple[int, str]]:
    """(cohort id, source key) of every quotable text of the person: named and pseudonymous answers
    and practice reflections. Anonymous answers cannot be linked to anyone, by design."""
    memberships = list(Membership.objects.filter(person=person).values_list("pk", flat=True))
    pseudonyms = [pseudonym_for(pk) for pk in memberships]
    answers = Answer.objects.filter(
        Q(response__survey__privacy=Survey.Privacy.NAMED, response__membership__in=memberships)
        | Q(response__survey__privacy=Survey.Privacy.PSEUDONYMOUS, response__pseudonym__in=pseudonyms)
    ).values_list("response__survey__cohort_id", "pk")
    moments = PracticeMoment.objects.filter(membership__in=memberships).values_list("membership__cohort_id", "pk")
    return [(c, quote_selectors.source_key(quote_selectors.ANSWER, pk)) for c, pk in answers] + [
        (c, quote_selectors.source_key(quote_selectors.MOMENT, pk)) for c, pk in moments
    ]


@transaction.atomic
def report_quotes_remove_for_person(*, person: Person) -> int:
    """Erasure: the person's quotes leave every published report and every draft's selection.

    Published snapshots are matched by the quotes' opaque person keys (and their source keys), never
    by names; drafts lose the selections of the person's texts. Returns the number of quotes taken
    out of published reports.
    """
    memberships = list(Membership.objects.filter(person=person).values_list("pk", flat=True))
    people = selectors.person_keys_of(memberships)
    sources = _source_keys_of(person)
    source_keys = {key for _cohort, key in sources}
    removed_total = 0
    if people or source_keys:
        match = Q()
        for key in people:
            match |= Q(snapshot__contains={"quotes": [{"person": key}]})
        for key in source_keys:
            match |= Q(snapshot__contains={"quotes": [{"key": key}]})
        for report in ImpactReport.objects.select_for_update().filter(match, status=ImpactReport.Status.PUBLISHED):
            snapshot, removed = _without_quotes(
                report.snapshot, lambda q: q.get("person") not in people and q["key"] not in source_keys
            )
            report.snapshot = snapshot
            report.save(update_fields=["snapshot", "updated_at"])
            removed_total += removed
    selected = QuoteSelection.objects.filter(
        Q(answer_id__in=[int(k.split("-")[1]) for k in source_keys if k.startswith("answer-")])
        | Q(practice_moment_id__in=[int(k.split("-")[1]) for k in source_keys if k.startswith("moment-")])
    ).select_related("cohort")
    for selection in selected:
        key = (
            quote_selectors.source_key(quote_selectors.ANSWER, selection.answer_id)
            if selection.answer_id
            else quote_selectors.source_key(quote_selectors.MOMENT, selection.practice_moment_id)
        )
        quote_services.quote_deselect(cohort=selection.cohort, key=key)
    return removed_total
