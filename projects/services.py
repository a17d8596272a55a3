"""Writes of the projects app: sets, projects, measures, PDSA cycles, module 6 (deleting: deletion_services)."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from cohorts.models import Cohort, Membership
from common.versions import check_row_version

from .models import (
    PROGRESS_SCORES,
    ActionLearningSet,
    DataPoint,
    DriverNode,
    ImprovementProject,
    Measure,
    Presentation,
    PresentationFeedback,
    ProgressScore,
    ProjectPDSACycle,
    SetAction,
    SetMeeting,
    SetMembership,
)

SLIDES_MAX_BYTES = 20 * 1024 * 1024
# A .pptx is a ZIP: one that would unpack to more than this, or holds more parts than any real
# deck, is refused (a ZIP bomb would fill the disk of whoever opens it, or of a virus scanner).
SLIDES_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
SLIDES_MAX_PARTS = 5000
SET_NAMES = ["Set A", "Set B", "Set C", "Set D", "Set E", "Set F", "Set G", "Set H", "Set I", "Set J"]


# Action-learning sets -----------------------------------------------------------------------


@transaction.atomic
def set_create(*, cohort: Cohort, name: str, set_facilitator: Membership | None = None) -> ActionLearningSet:
    if set_facilitator is not None and set_facilitator.cohort_id != cohort.pk:
        raise ValidationError({"set_facilitator": _("The set facilitator must belong to this cohort.")})
    if ActionLearningSet.objects.filter(cohort=cohort, name__iexact=name.strip()).exists():
        raise ValidationError({"name": _("This cohort already has a set with that name.")})
    return ActionLearningSet.objects.create(cohort=cohort, name=name.strip(), set_facilitator=set_facilitator)


@transaction.atomic
def set_members_assign(*, cohort: Cohort, assignments: dict[Membership, ActionLearningSet | None]) -> int:
    """Put each participant in the given set (or in none); returns how many moved."""
    for membership, action_learning_set in assignments.items():
        if membership.cohort_id != cohort.pk or membership.role != Membership.Role.PARTICIPANT:
            raise ValidationError(_("%(person)s is not a participant of this cohort.") % {"person": membership.person})
        if not membership.is_active and action_learning_set is not None:
            raise ValidationError(_("%(person)s has withdrawn.") % {"person": membership.person})
        if action_learning_set is not None and action_learning_set.cohort_id != cohort.pk:
            raise ValidationError(_("That set belongs to another cohort."))
    current = dict(
        SetMembership.objects.filter(cohort=cohort, membership__in=list(assignments)).values_list(
            "membership_id", "action_learning_set_id"
        )
    )
    changed = [(m, s) for m, s in assignments.items() if current.get(m.pk) != (s.pk if s is not None else None)]
    SetMembership.objects.filter(cohort=cohort, membership__in=[m for m, _ in changed]).delete()
    SetMembership.objects.bulk_create(
        [SetMembership(cohort=cohort, membership=m, action_learning_set=s) for m, s in changed if s is not None]
    )
    return len(changed)


@transaction.atomic
def set_split_evenly(*, cohort: Cohort, number_of_sets: int) -> list[ActionLearningSet]:
    """Make sure the cohort has ``number_of_sets`` sets and put every active participant who
    is in no set yet into the smallest one, mixing professions and organisations."""
    if not 1 <= number_of_sets <= len(SET_NAMES):
        raise ValidationError(_("Choose between 1 and %(max)s sets.") % {"max": len(SET_NAMES)})
    sets = list(ActionLearningSet.objects.filter(cohort=cohort).annotate(size=Count("set_memberships")))
    names = {s.name for s in sets}
    for name in SET_NAMES:
        if len(sets) >= number_of_sets:
            break
        if name not in names:
            new_set = ActionLearningSet.objects.create(cohort=cohort, name=name)
            new_set.size = 0
            sets.append(new_set)
    unassigned = (
        Membership.objects.active()
        .participants()
        .filter(cohort=cohort, set_memberships__isnull=True)
        .select_related("person")
        .order_by("person__profession", "person__organisation_id", "person__full_name")
    )
    additions = []
    for membership in unassigned:
        smallest = min(sets, key=lambda s: (s.size, s.name))
        smallest.size += 1
        additions.append(SetMembership(cohort=cohort, membership=membership, action_learning_set=smallest))
    SetMembership.objects.bulk_create(additions)
    return sorted(sets, key=lambda s: s.name)


def set_membership_remove_withdrawn(*, membership: Membership) -> int:
    """Take a withdrawn (or withdrawing) participant out of their set; returns rows removed.

    Called by the withdraw flow; selectors also ignore withdrawn members meanwhile."""
    deleted, _ = SetMembership.objects.filter(membership=membership).delete()
    ActionLearningSet.objects.filter(set_facilitator=membership).update(set_facilitator=None)
    return deleted


@transaction.atomic
def set_meeting_record(
    *,
    action_learning_set: ActionLearningSet,
    date: datetime.date,
    attendees: list[Membership],
    notes: str = "",
    meeting: SetMeeting | None = None,
) -> SetMeeting:
    if any(a.cohort_id != action_learning_set.cohort_id for a in attendees):
        raise ValidationError({"attendees": _("Everyone who came must belong to this cohort.")})
    meeting = meeting or SetMeeting(action_learning_set=action_learning_set)
    meeting.date = date
    meeting.notes = notes
    meeting.save()
    meeting.attendees.set(attendees)
    return meeting


def set_action_add(
    *,
    action_learning_set: ActionLearningSet,
    description: str,
    owner: Membership | None = None,
    due_date: datetime.date | None = None,
    meeting: SetMeeting | None = None,
) -> SetAction:
    if owner is not None and owner.cohort_id != action_learning_set.cohort_id:
        raise ValidationError({"owner": _("The owner must belong to this cohort.")})
    return SetAction.objects.create(
        action_learning_set=action_learning_set,
        description=description,
        owner=owner,
        due_date=due_date,
        meeting=meeting,
    )


def set_action_mark(*, action: SetAction, done: bool) -> SetAction:
    action.done = done
    action.save(update_fields=["done", "updated_at"])
    return action


# Improvement projects ------------------------------------------------------------------------


@transaction.atomic
def progress_score_record(
    *, project: ImprovementProject, score: Decimal, note: str = "", recorded_by: Membership | None = None
) -> ProgressScore:
    score = Decimal(score)
    if score not in PROGRESS_SCORES:
        raise ValidationError({"score": _("Choose a score from 0.5 to 5 in steps of 0.5.")})
    entry = ProgressScore.objects.create(
        project=project, score=score, note=note, recorded_by=recorded_by, recorded_at=timezone.now()
    )
    project.progress_score = score
    project.save(update_fields=["progress_score", "updated_at"])
    return entry


OUTLINE_KINDS = [DriverNode.Kind.PRIMARY, DriverNode.Kind.SECONDARY, DriverNode.Kind.CHANGE_IDEA]


def driver_outline_parse(text: str) -> list[tuple[int, str]]:
    """Parse the indented outline (two spaces or one tab a level, optional "-" or "*")."""
    entries, errors = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        expanded = raw.replace("\t", "  ")
        indent = len(expanded) - len(expanded.lstrip(" "))
        level = indent // 2
        label = expanded.strip().lstrip("-*•").strip()
        if not label:
            continue
        if level > 2:
            errors.append(_("Line %(n)s: a change idea is the deepest level (indent at most twice).") % {"n": number})
        elif not entries and level:
            errors.append(_("Line %(n)s: start with a primary driver (no indent).") % {"n": number})
        elif entries and level > entries[-1][0] + 1:
            errors.append(_("Line %(n)s: indented more than one level below the line above.") % {"n": number})
        elif len(label) > 300:
            errors.append(_("Line %(n)s: keep each entry under 300 characters.") % {"n": number})
        entries.append((level, label))
    if errors:
        raise ValidationError(errors)
    return entries


@transaction.atomic
def driver_diagram_replace(*, project: ImprovementProject, outline: str) -> list[DriverNode]:
    """Replace the driver diagram with the outline, keeping entries whose kind and text are
    unchanged (so PDSA cycles stay linked to their change idea)."""
    entries = driver_outline_parse(outline)
    existing = {}
    for node in project.driver_nodes.all():
        existing.setdefault((node.kind, node.text), []).append(node)
    kept, parents = [], {}
    for order, (level, label) in enumerate(entries):
        kind = OUTLINE_KINDS[level]
        candidates = existing.get((kind, label))
        node = candidates.pop(0) if candidates else DriverNode(project=project, kind=kind, text=label)
        node.parent = parents.get(level - 1) if level else None
        node.order = order
        node.save()
        kept.append(node)
        parents[level] = node
    leftover = [node for nodes in existing.values() for node in nodes]
    in_use = [node for node in leftover if node.pdsa_cycles.exists()]
    if in_use:
        raise ValidationError(
            [
                _("“%(idea)s” is the change idea of a PDSA cycle; keep it in the diagram.") % {"idea": node.text}
                for node in in_use
            ]
        )
    # Children first, so nothing is deleted by cascade before its own check above.
    for node in sorted(leftover, key=lambda n: OUTLINE_KINDS.index(n.kind), reverse=True):
        node.delete()
    return kept


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y")


def _parse_date(text):
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def _parse_value(text):
    cleaned = text.strip().replace(",", "").rstrip("%").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value) >= Decimal("1e9"):
        return None
    return value.quantize(Decimal("0.001"))


@transaction.atomic
def data_points_import(*, measure: Measure, text: str) -> ImportResult:
    """Import "date,value[,note]" rows (a header row is allowed). Every row is checked first;
    any error rejects the whole import with one message per bad row."""
    rows, errors, seen = [], [], {}
    sample = text.strip()
    if not sample:
        raise ValidationError(_("There is nothing to import."))
    dialect = "excel-tab" if "\t" in sample.splitlines()[0] else "excel"
    for number, row in enumerate(csv.reader(io.StringIO(sample), dialect=dialect), start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if number == 1 and _parse_date(row[0]) is None and row[0].strip().lower() in {"date", "week", "day", "month"}:
            continue
        if len(row) < 2:
            errors.append(_("Row %(n)s: expected a date and a value.") % {"n": number})
            continue
        date, value = _parse_date(row[0]), _parse_value(row[1])
        note = ",".join(row[2:]).strip()[:300]
        if date is None:
            errors.append(
                _("Row %(n)s: “%(v)s” is not a date (use 2026-03-02 or 02/03/2026).") % {"n": number, "v": row[0]}
            )
        if value is None:
            errors.append(_("Row %(n)s: “%(v)s” is not a number.") % {"n": number, "v": row[1]})
        if date is not None and date in seen:
            errors.append(
                _("Row %(n)s: %(d)s already appears in row %(m)s.") % {"n": number, "d": date, "m": seen[date]}
            )
        if date is not None:
            seen.setdefault(date, number)
        rows.append((date, value, note))
    if errors:
        raise ValidationError(errors)
    if len(rows) > 1000:
        raise ValidationError(_("Import at most 1000 rows at a time."))
    existing = {p.date: p for p in measure.data_points.filter(date__in=[r[0] for r in rows])}
    new, changed = [], []
    for date, value, note in rows:
        if date in existing:
            point = existing[date]
            point.value, point.note = value, note or point.note
            changed.append(point)
        else:
            new.append(DataPoint(measure=measure, date=date, value=value, note=note))
    DataPoint.objects.bulk_create(new)
    DataPoint.objects.bulk_update(changed, ["value", "note"])
    return ImportResult(created=len(new), updated=len(changed))


@transaction.atomic
def project_update(*, project: ImprovementProject, seen_version: str = "", **fields) -> ImprovementProject:
    """Save a project's details (validated by ProjectForm), unless someone else saved the project
    after the form was drawn (``seen_version``, common.versions): then nothing is saved."""
    project = check_row_version(instance=project, seen=seen_version)
    for name, value in fields.items():
        setattr(project, name, value)
    project.save()
    return project


@transaction.atomic
def project_pdsa_cycle_update(
    *, cycle: ProjectPDSACycle, seen_version: str = "", measures=(), **fields
) -> ProjectPDSACycle:
    """Save a project's PDSA cycle (validated by its form) and its measures, unless someone else
    saved it after the form was drawn (``seen_version``, common.versions): then nothing is saved."""
    cycle = check_row_version(instance=cycle, seen=seen_version)
    for name, value in fields.items():
        setattr(cycle, name, value)
    cycle.save()
    cycle.measures.set(measures)
    return cycle


# Module 6 ---------------------------------------------------------------------------------------


def slides_kind(uploaded_file) -> str | None:
    """'pdf' or 'pptx' judged by content (never by name or browser-sent type), else None."""
    uploaded_file.seek(0)
    head = uploaded_file.read(5)
    uploaded_file.seek(0)
    if head == b"%PDF-":
        return "pdf"
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(uploaded_file) as archive:
                parts = archive.infolist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            return None
        finally:
            uploaded_file.seek(0)
        if len(parts) > SLIDES_MAX_PARTS or sum(part.file_size for part in parts) > SLIDES_MAX_UNPACKED_BYTES:
            return None
        names = {part.filename for part in parts}
        if "[Content_Types].xml" in names and "ppt/presentation.xml" in names:
            return "pptx"
    return None


def slides_display_name(uploaded_name: str, kind: str) -> str:
    """The name the slides are offered back under: the uploaded name's last part, without folders
    (either slash), control characters or a leading dot, and with the extension of what it is."""
    original = (uploaded_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    original = "".join(char for char in original if char.isprintable())[:150]
    stem = (original.rsplit(".", 1)[0] if "." in original else original).strip().lstrip(".")
    return f"{stem or 'slides'}.{kind}"


@transaction.atomic
def presentation_slides_upload(*, presentation: Presentation, uploaded_file) -> Presentation:
    if uploaded_file.size > SLIDES_MAX_BYTES:
        raise ValidationError({"slides": _("The file is larger than 20 MB. Save a smaller copy and try again.")})
    kind = slides_kind(uploaded_file)
    if kind is None:
        raise ValidationError({"slides": _("Upload the slides as a PDF or a PowerPoint (.pptx) file.")})
    old_name = presentation.slides.name if presentation.slides else ""
    presentation.slides_name = slides_display_name(uploaded_file.name, kind)
    # The storage name is built from the kind found in the content, not from the upload's name.
    presentation.slides.save(f"slides.{kind}", uploaded_file, save=False)
    presentation.slides_uploaded_at = timezone.now()
    presentation.save(update_fields=["slides", "slides_name", "slides_uploaded_at", "updated_at"])
    if old_name and old_name != presentation.slides.name:
        storage = presentation.slides.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    return presentation


def presentation_feedback_give(
    *, presentation: Presentation, author: Membership, went_well: str, even_better_if: str = ""
) -> PresentationFeedback:
    if author.cohort_id != presentation.cohort_id or not author.is_active:
        raise ValidationError(_("Only members of this cohort can give feedback."))
    if presentation.action_learning_set.set_memberships.filter(membership=author).exists():
        raise ValidationError(_("Feedback comes from facilitators and the other sets, not your own set."))
    feedback, _created = PresentationFeedback.objects.update_or_create(
        presentation=presentation,
        author=author,
        defaults={"went_well": went_well, "even_better_if": even_better_if},
    )
    return feedback
