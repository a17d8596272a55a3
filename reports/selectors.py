"""The impact report's data: one dict that the page, the PDF and the spreadsheet all render.

``report_data_build(cohort=)`` reads every section from the apps below (``reports.reads``: each kind
of row once, in a fixed number of queries whatever the cohort's size) and returns plain JSON types
only (str, int, float, bool, None, lists and dicts; dates as ISO strings), with

* every count of people under ``MIN_GROUP`` already replaced by a marker (``reports.suppression``),
  figures of non-named surveys only where their own pages would show them
  (``surveys.disclosure.figures_visible``), and no free text of any survey except:
* the quotes the facilitators chose, only while their author's consent stands, attributed as the
  author chose (name and role, role, or "A participant").

A draft report is built live: again whenever a row it is drawn from changed (``report_page`` keeps
it per process under a digest of those rows, ``reports.sources``); a published one is the dict
stored when it was published (``ImpactReport.snapshot``), so that later changes, consent withdrawals
included, do not touch what the commissioner received. Each quote keeps its source key and an
opaque person key (a hash of the person's survey pseudonym) so that an erasure can take it out of a
snapshot without reading names.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cohorts.models import Cohort, Membership
from common.memo import Memo
from common.models import choice_label
from evaluation import result_selectors
from evaluation.analysis import Comparison
from evaluation.wording import effect_size_label
from modules.models import Module
from modules.selectors import CohortOverview
from projects.models import ImprovementProject, Measure
from projects.selectors import projects_for_report
from surveys import disclosure
from surveys.models import Question, Survey
from surveys.selectors import score_moves
from surveys.tokens import pseudonym_for

from . import sources, suppression, wording
from .models import ImpactReport
from .reads import ReportReads, cohort_read, report_reads

# A participant "completed" the programme when present at this many of its modules (issue 13).
COMPLETION_MODULES = 5
DECIMALS = 2

SECTIONS = [
    ("summary", "Summary"),
    ("key-impacts", "Key impacts"),
    ("attendance", "Attendance and completion"),
    ("pdsa", "Module surveys and what changed (PDSA)"),
    ("self-assessment", "Self-assessment before, looking back and after"),
    ("kirkpatrick", "End-of-programme evaluation, practice log and follow-up"),
    ("projects", "Improvement projects"),
    ("quotes", "In participants' words"),
    ("narrative", "Limitations and recommendations"),
]


def section_titles() -> dict[str, str]:
    return dict(_section_titles(get_language()))


@functools.cache
def _section_titles(language: str | None) -> tuple[tuple[str, str], ...]:
    """The titles translated into ``language`` (the active one, which ``_`` reads), made once a language."""
    return tuple((key, _(title)) for key, title in SECTIONS)


def template_titles() -> dict[str, str]:
    """The same titles keyed for templates ("key_impacts"), which cannot read a key with a hyphen."""
    return {key.replace("-", "_"): title for key, title in section_titles().items()}


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date().isoformat()
    return value.isoformat()


def _round(value, decimals: int = DECIMALS) -> float | None:
    return None if value is None else round(float(value), decimals)


def person_key(pseudonym: str) -> str:
    """The opaque key a quote carries for erasure: a hash of the pseudonym, itself an HMAC of the
    membership. Without the secret key nobody can tell whose it is; with a person, the erasure can."""
    return hashlib.sha256(f"reports:quote-person:{pseudonym}".encode()).hexdigest()[:32]


def person_keys_of(membership_ids) -> set[str]:
    return {person_key(pseudonym_for(pk)) for pk in membership_ids}


# -- 1. Summary -------------------------------------------------------------------------------


def _summary(cohort: Cohort, overview: CohortOverview) -> dict:
    participants = overview.active_participants
    sizes: dict[str, int] = defaultdict(int)
    for membership in participants:
        sizes[membership.profession] += 1
    groups = disclosure.profession_groups(sizes)
    counts: dict[str | None, int] = defaultdict(int)
    for code, n in sizes.items():
        counts[groups[code]] += n
    shown = sorted((g for g in counts if g is not disclosure.HIDDEN), key=disclosure.group_order)
    modules = overview.modules
    return {
        "participants": len(participants),
        "withdrawn": len(overview.withdrawn_participants),
        "withdrawn_cell": suppression.cell(len(overview.withdrawn_participants)),
        "professions": [{"label": disclosure.group_label(g), "count": suppression.cell(counts[g])} for g in shown],
        "professions_hidden": disclosure.HIDDEN in counts,
        "facilitators": [
            {"name": m.full_name, "role": choice_label(Membership.Role, m.role), "job_title": m.job_title}
            for m in overview.facilitators
        ],
        "modules_total": len(modules),
        "modules_delivered": overview.modules_delivered,
        "first_module": _iso(modules[0].starts_at) if modules else None,
        "last_module": _iso(modules[-1].starts_at) if modules else None,
    }


# -- 3. Attendance ----------------------------------------------------------------------------


def _attendance(overview: CohortOverview) -> dict:
    """``overview.modules`` carry ``present_active``: the active participants marked present."""
    active = overview.active_participants
    modules = []
    for module in overview.modules:
        n = module.present_active
        delivered = module.is_delivered
        count = suppression.cell(n) if delivered else None
        modules.append(
            {
                "number": module.number,
                "title": module.title,
                "date": _iso(module.starts_at),
                "delivered": delivered,
                "present": count,
                "percent": round(100 * n / len(active)) if count and count["value"] is not None and active else None,
            }
        )
    delivered = overview.modules_delivered
    needed = min(COMPLETION_MODULES, delivered)
    completed = sum(1 for m in active if m.present >= needed) if delivered else 0
    completed_cell = suppression.cell(completed)
    return {
        "modules": modules,
        "active": len(active),
        "completion_modules": COMPLETION_MODULES,
        "modules_total": len(overview.modules),
        "completion_final": delivered >= len(overview.modules) > 0,
        "completed": completed_cell,
        "completed_percent": round(100 * completed / len(active))
        if active and completed_cell["value"] is not None
        else None,
    }


# -- 4. The PDSA story ------------------------------------------------------------------------


def _pdsa(reads: ReportReads) -> list[dict]:
    """Each surveyed module's PDSA cycle, as ``pdsa_timeline_for_cohort`` pairs them, from what the report read."""
    summaries = reads.summaries
    numbers = {m.number for m in reads.modules}
    entries = []
    for module in reads.modules:
        if not module.has_survey:
            continue
        summary = summaries.get(module.number)
        cycle = getattr(module, "pdsa_cycle", None)
        responded = summary.responded if summary else 0
        responded_cell = suppression.cell(responded) if summary else None
        entries.append(
            {
                "number": module.number,
                "title": module.title,
                "date": _iso(module.starts_at),
                "delivered": module.is_delivered,
                "has_survey": summary is not None,
                "invited": summary.invited if summary else 0,
                "responded": responded_cell,
                "response_rate": round(100 * summary.response_rate)
                if summary and summary.response_rate is not None and responded_cell["value"] is not None
                else None,
                "waits_for_close": bool(summary and summary.waits_for_close),
                "headline": [
                    {"code": code, "label": label, "value": _round(value, 1), "kind": kind}
                    for code, label, value, kind in (summary.headline if summary else [])
                ],
                "study": cycle.study_reading if cycle else "",
                "changes": reads.act_items.get(module.number, []),
                "next_module": module.number + 1 if module.number + 1 in numbers else None,
                "moves": [
                    {
                        "label": move.label,
                        "kind": move.kind,
                        "before": _round(move.before, 1),
                        "after": _round(move.after, 1),
                        "direction": move.direction,
                    }
                    for move in score_moves(summary, summaries.get(module.number + 1))
                ],
            }
        )
    return entries


# -- 5. Self-assessment -----------------------------------------------------------------------


def _change(change, *, subject: str) -> dict:
    if change.suppressed:
        return {"suppressed": True}
    improved, same, declined = suppression.cells([change.improved, change.same, change.declined])
    return {
        "suppressed": False,
        "n_pairs": change.n_pairs,
        "mean_change": _round(change.mean_change),
        "median_change": _round(change.median_change),
        "improved": improved,
        "same": same,
        "declined": declined,
        "p_value": round(change.p_value, 4),
        "p_display": wording.p_value(change.p_value),
        "p_method": str(change.test.method.label),
        "effect_size": _round(change.effect_size),
        "effect_label": effect_size_label(change.effect_size),
        "clear": change.is_clear,
        "sentence": wording.change_sentence(change, subject=subject),
    }


def _level(level) -> float | None:
    return None if level is None else _round(level.mean)


def _change_row(row) -> dict:
    subject = result_selectors.item_subject(row.label)
    return {
        "code": row.code,
        "label": row.label,
        "pre": _level(row.pre),
        "then": _level(row.then),
        "post": _level(row.post),
        "post_pre": _change(row.post_pre, subject=subject),
        "post_then": _change(row.post_then, subject=subject),
    }


def _self_assessment(results) -> dict:
    dimensions = [{**_change_row(row), "items": [_change_row(item) for item in row.items]} for row in results.rows]

    def clear_rises(comparison: str) -> int:
        return sum(
            1
            for d in dimensions
            if not d[comparison]["suppressed"] and d[comparison]["clear"] and d[comparison]["median_change"] >= 0
        )

    return {
        "exists": results.pre is not None or results.post is not None,
        "visible": results.visible,
        "pre_responses": suppression.cell(results.pre_responses),
        "post_responses": suppression.cell(results.post_responses),
        "dimensions": dimensions,
        "clear_post_then": clear_rises("post_then"),
        "clear_post_pre": clear_rises("post_pre"),
        "notes": [str(note) for note in results.notes],
    }


# -- 6. Kirkpatrick evaluation, practice log, follow-up -----------------------------------------


def _question(result) -> dict | None:
    question = result.question
    if question.is_text:
        return None  # free text reaches the report only as a consented quote
    answered = suppression.cell(result.answered)
    data = {
        "code": question.code,
        "text": question.text,
        "kind": question.kind,
        "answered": answered,
        "score": None,
        "score_kind": result.score_kind,
        "bars": [],
    }
    if answered["value"] is None:
        return data
    data["score"] = _round(result.score, 1)
    counts = suppression.cells([bar.count for bar in result.bars])
    if question.kind == Question.Kind.MULTIPLE_CHOICE:
        # Not a partition (one person ticks several), so there is no total to subtract from.
        counts = [suppression.cell(bar.count) for bar in result.bars]
    data["bars"] = [
        {"label": bar.label, "count": count, "share": _round(bar.share, 3) if count["value"] is not None else None}
        for bar, count in zip(result.bars, counts, strict=True)
    ]
    return data


def _levels(level) -> dict:
    if level.survey is None:
        return {"exists": False, "visible": False, "responses": None, "groups": []}
    results = level.results
    groups = []
    if results.visible:
        for group in level.groups:
            questions = [q for q in (_question(result) for result, _chart in group.rows) if q is not None]
            if questions:
                groups.append({"code": group.code, "name": group.name or _("Other questions"), "questions": questions})
    return {
        "exists": True,
        "title": str(level.survey.title),
        "status": level.survey.get_status_display(),
        "visible": results.visible,
        "invited": results.invited,
        "responses": suppression.cell(results.responses),
        "groups": groups,
    }


def _practice(summary) -> dict:
    if not summary.visible:
        return {"visible": False, "active": summary.active_participants}
    return {
        "visible": True,
        "active": summary.active_participants,
        "loggers": None if summary.all_but_few else summary.loggers,
        "all_but_few": summary.all_but_few,
        "share_percent": summary.share_percent,
        "total": summary.total_moments,
        "breakdowns": [
            {
                "key": b.key,
                "title": str(b.title),
                "heading": str(b.heading),
                "cells": [
                    {"label": c.label, "value": c.moments if c.shown else None, "display": str(c.display)}
                    for c in b.cells
                ],
            }
            for b in summary.breakdowns
        ],
    }


# -- 7. Improvement projects ------------------------------------------------------------------


def _layout_json(layout: dict) -> dict:
    """The run chart's geometry with its dates as ISO strings."""
    converted = dict(layout)
    converted["points"] = [{**p, "date": _iso(p["date"]), "value": float(p["value"])} for p in layout["points"]]
    converted["x_labels"] = [{**x, "label": _iso(x["label"])} for x in layout["x_labels"]]
    return converted


def _measure(measure: Measure | None) -> dict | None:
    if measure is None:
        return None
    chart = measure.chart
    return {
        "name": measure.name,
        "unit": measure.unit,
        "kind": measure.get_kind_display(),
        "better": measure.get_better_display(),
        "enough_data": chart.analysis.enough_data,
        "median": _round(chart.analysis.median, 3),
        "findings": [{"label": str(f["label"]), "text": str(f["text"]), "good": f["good"]} for f in chart.summary],
        "layout": _layout_json(chart.layout),
        "rows": [
            {
                "date": _iso(row["point"].date),
                "value": float(row["point"].value),
                "baseline": row["in_baseline"],
                "signals": [str(rule) for rule in row["rules"]],
            }
            for row in chart.rows
        ],
    }


def _score(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.1f}"


def _projects(cohort: Cohort, sets=None) -> tuple[list[dict], list[dict]]:
    """Each project with its key run chart (first outcome measure, else first), from
    ``projects_for_report`` (``sets``, when the caller has read them)."""
    projects, reflections = [], []
    for action_learning_set in projects_for_report(cohort=cohort) if sets is None else sets:
        if action_learning_set.reflections.strip():
            reflections.append({"set": action_learning_set.name, "text": action_learning_set.reflections})
        for project in action_learning_set.projects.all():
            projects.append(
                {
                    "id": project.pk,
                    "title": project.title,
                    "set": action_learning_set.name,
                    "area": project.get_area_display(),
                    "aim": project.aim,
                    "status": project.get_status_display(),
                    "progress_score": _score(project.progress_score),
                    "progress_meaning": str(project.progress_score_meaning),
                    "measure": _measure(project.key_measure),
                }
            )
    return projects, reflections


# -- 8. Quotes --------------------------------------------------------------------------------


def _quote_person(selection) -> str:
    """The quote's person key (empty for an anonymous answer, which leads to nobody)."""
    if selection.practice_moment_id:
        return person_key(pseudonym_for(selection.practice_moment.membership_id))
    response = selection.answer.response
    if response.survey.privacy == Survey.Privacy.NAMED and response.membership_id:
        return person_key(pseudonym_for(response.membership_id))
    if response.survey.privacy == Survey.Privacy.PSEUDONYMOUS and response.pseudonym:
        return person_key(response.pseudonym)
    return ""


def _quotes(quotes) -> list[dict]:
    return [
        {
            "key": quote.key,
            "person": _quote_person(quote.selection),
            "text": quote.text,
            "attribution": str(quote.attribution),
            "source": str(quote.source),
            "consent": quote.consent,
            "consent_label": quote.consent_label,
        }
        for quote in quotes
    ]


# -- 2 and 9: what the facilitators write -------------------------------------------------------


def _evidence_choices(projects) -> list[tuple[str, str]]:
    titles = section_titles()
    choices = [(key, titles[key]) for key, _title in SECTIONS if key not in ("key-impacts", "narrative")]
    choices += [(f"project:{pk}", _("Project: %(title)s") % {"title": title}) for pk, title in projects]
    return choices


def evidence_choices(data: dict) -> list[tuple[str, str]]:
    """The sections a key impact can point to as its evidence: the report's own, then each project."""
    return _evidence_choices((p["id"], p["title"]) for p in data.get("projects", []))


def evidence_choices_for_cohort(*, cohort: Cohort) -> list[tuple[str, str]]:
    """The same choices without building the whole report (a key impact's form needs only the
    projects' titles): from the snapshot once published, else the cohort's projects in the report's
    order (by set, then title)."""
    report = report_get(cohort=cohort)
    if report is not None and report.is_published:
        return evidence_choices(report.snapshot)
    return _evidence_choices(ImprovementProject.objects.for_cohort(cohort).values_list("pk", "title"))


def _key_impacts(report: ImpactReport | None, choices: dict[str, str]) -> list[dict]:
    if report is None:
        return []
    return [
        {
            "id": impact.pk,
            "text": impact.text,
            "evidence": impact.evidence,
            "evidence_label": choices.get(impact.evidence, ""),
        }
        for impact in report.key_impacts.all()
    ]


def report_get(*, cohort: Cohort) -> ImpactReport | None:
    return ImpactReport.objects.filter(cohort=cohort).prefetch_related("key_impacts").first()


def _cohort_with_report(cohort: Cohort) -> tuple[Cohort, ImpactReport | None]:
    cohort = cohort_read(cohort, with_report=True)
    return cohort, getattr(cohort, "impact_report", None)


def report_data_build(*, cohort: Cohort, report: ImpactReport | None = None) -> dict:
    """Every section of the cohort's report, live, as plain JSON data (see the module's docstring)."""
    if report is None:
        cohort, report = _cohort_with_report(cohort)
    else:
        cohort = cohort_read(cohort, with_report=False)
    return _data_build(cohort, report)


def _data_build(cohort: Cohort, report: ImpactReport | None) -> dict:
    """``report_data_build`` of a cohort read by ``_cohort_with_report``."""
    reads = report_reads(cohort=cohort)
    projects, set_reflections = _projects(cohort, reads.sets)
    data = {
        "version": ImpactReport.SNAPSHOT_VERSION,
        "built_at": timezone.now().isoformat(),
        "status": ImpactReport.Status.DRAFT.value,
        "published_at": None,
        "published_by": "",
        "cohort": {
            "id": cohort.pk,
            "name": cohort.name,
            "programme": cohort.programme.name,
            "provider": cohort.programme.provider.name,
            "commissioner": cohort.commissioner.name,
            "start_date": _iso(cohort.start_date),
            "end_date": _iso(cohort.end_date),
            "status": cohort.get_status_display(),
        },
        "min_group": suppression.MIN_GROUP,
        "summary": _summary(cohort, reads.roster),
        "attendance": _attendance(reads.roster),
        "pdsa": _pdsa(reads),
        "self_assessment": _self_assessment(reads.self_assessment),
        "kirkpatrick": _levels(reads.levels[Survey.Kind.EVALUATION]),
        "practice": _practice(reads.practice),
        "follow_up": _levels(reads.levels[Survey.Kind.FOLLOW_UP]),
        "projects": projects,
        "set_reflections": set_reflections,
        "quotes": _quotes(reads.quotes),
        "narrative": {
            "limitations": report.limitations if report else "",
            "recommendations": report.recommendations if report else "",
        },
    }
    data["key_impacts"] = _key_impacts(report, dict(evidence_choices(data)))
    data["modules_with_survey"] = list(Module.SURVEY_NUMBERS)
    data["comparisons"] = {c.value: str(c.label) for c in Comparison}
    return data


@dataclass(frozen=True)
class ReportPage:
    is_published: bool
    data: dict
    # What ``data`` was drawn from: the cohort, the digest of its rows (``reports.sources``), the
    # language and the day; None where there is no digest. Whatever is made from ``data`` alone (the
    # PDF's and spreadsheet's cache keys, reports.downloads) can be kept per process under it.
    stamp: tuple | None = None


# Reports as read, per process, under their stamp (see report_page).
_pages = Memo(32)


def _report_page_read(cohort: Cohort, stamp: tuple | None) -> ReportPage:
    cohort, report = _cohort_with_report(cohort)
    if report is not None and report.is_published:
        return ReportPage(is_published=True, data=report.snapshot, stamp=stamp)
    return ReportPage(is_published=False, data=_data_build(cohort, report), stamp=stamp)


def report_page(*, cohort: Cohort) -> ReportPage:
    """What the report page, the PDF and the spreadsheet show: the snapshot once published, else live.

    Read again only when something it is drawn from changed: it is kept under a digest of every row
    a draft reads (``reports.sources``, the published snapshot's row among them), the language and
    the day (the practice log's intervals and the PDF's "figures as of" follow the date). So the same
    rows are not read and built twice in a process, and a change is shown at once."""
    digest = sources.report_sources_digest(cohort_id=cohort.pk)
    if digest is None:
        return _report_page_read(cohort, None)
    stamp = (cohort.pk, digest, get_language(), timezone.localdate())
    return _pages.get_or_make(stamp, lambda: _report_page_read(cohort, stamp))


def report_pages_clear() -> None:
    _pages.clear()
