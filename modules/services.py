"""Writes for modules: a cohort's modules (made with the cohort, moved with it), attendance, delivery,
module details and the PDSA record."""

import datetime
import logging
from dataclasses import dataclass

from auditlog.context import disable_auditlog
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cohorts.models import Cohort, Membership, Organisation, Person, Programme
from cohorts.services import cohort_create, cohort_details_update
from common.audit import Action, audit_bulk
from common.versions import NO_ROW, check_version, row_version

from .models import ActItem, Attendance, Module, PDSACycle
from .selectors import module_register, register_version
from .signals import module_delivered

logger = logging.getLogger(__name__)

# A face-to-face module runs 09:30 to 16:30 unless the outline says otherwise.
MODULE_START_TIME = datetime.time(9, 30)

# A module that ended longer ago than this and was never marked delivered is left alone: its
# participants would get a survey about a day weeks past (e.g. a cohort entered late).
ENDED_LOOKBACK = datetime.timedelta(days=14)


@transaction.atomic
def cohort_create_from_programme(*, programme: Programme, start_date: datetime.date, **cohort_fields) -> Cohort:
    """Create a cohort with its six modules, dated from its start by the programme's outline.

    The cohort itself is ``cohorts.services.cohort_create``'s: ``cohort_fields`` are its other
    arguments (commissioner, name, end_date, facilitators, status)."""
    cohort = cohort_create(programme=programme, start_date=start_date, **cohort_fields)
    tz = timezone.get_current_timezone()
    modules = []
    for outline in programme.outlines.order_by("number"):
        day = start_date + datetime.timedelta(weeks=outline.weeks_after_start)
        starts_at = datetime.datetime.combine(day, MODULE_START_TIME, tzinfo=tz)
        modules.append(
            Module(
                cohort=cohort,
                number=outline.number,
                title=outline.title,
                topics=outline.topics,
                is_celebration=outline.is_celebration,
                starts_at=starts_at,
                ends_at=starts_at + datetime.timedelta(hours=float(outline.duration_hours)),
            )
        )
    Module.objects.bulk_create(modules)
    return cohort


@transaction.atomic
def cohort_update(
    *, cohort: Cohort, start_date: datetime.date, move_planned_modules: bool = False, **details
) -> Cohort:
    """Change a cohort's details; optionally move its planned modules by as many days as the start moved.

    The details are ``cohorts.services.cohort_details_update``'s: ``details`` are its other
    arguments (name, end_date, status, survey_audience)."""
    shift = start_date - cohort.start_date
    cohort = cohort_details_update(cohort=cohort, start_date=start_date, **details)
    if move_planned_modules and shift:
        modules = list(cohort.modules.filter(state=Module.State.PLANNED))
        for module in modules:
            # Shift in local time so that a 09:30 module stays at 09:30 across a clock change.
            module.starts_at = timezone.localtime(module.starts_at) + shift
            module.ends_at = timezone.localtime(module.ends_at) + shift
        Module.objects.bulk_update(modules, ["starts_at", "ends_at"])
    return cohort


@transaction.atomic
def attendance_record(*, module: Module, statuses: dict[int, str | None], by=None, seen_version: str = "") -> int:
    """Record attendance for many participants at once: ``{membership_pk: status}``; a status of
    None clears a mark back to "not recorded".

    All or nothing: an unknown status or a person who is not an active participant of the
    module's cohort raises ValidationError and nothing is saved. Returns the number of
    records created or changed. Runs a constant number of queries whatever the cohort size.

    ``seen_version`` is the register's token as the form showed it (``selectors.register_version``):
    if another facilitator saved the register since, nothing is saved (common.versions).
    """
    if seen_version:
        Module.objects.select_for_update().filter(pk=module.pk).first()
        check_version(current=register_version(module_register(module=module)), seen=seen_version)
    valid = set(Attendance.Status.values)
    bad_status = sorted(str(pk) for pk, status in statuses.items() if status is not None and status not in valid)
    if bad_status:
        raise ValidationError(
            _("Choose present, apologies or absent for every participant (invalid choice for %(ids)s).")
            % {"ids": ", ".join(bad_status)},
            code="invalid_status",
        )
    if not statuses:
        return 0
    allowed = set(
        Membership.objects.active()
        .participants()
        .filter(cohort_id=module.cohort_id, pk__in=statuses.keys())
        .values_list("pk", flat=True)
    )
    strangers = sorted(str(pk) for pk in statuses if pk not in allowed)
    if strangers:
        raise ValidationError(
            _("Attendance can only be recorded for active participants of this cohort."),
            code="not_participant",
        )
    existing = {
        a.membership_id: a
        for a in Attendance.objects.select_for_update().filter(module=module, membership_id__in=statuses.keys())
    }
    now = timezone.now()
    to_create, to_update, to_clear, was = [], [], [], {}
    for membership_pk, status in statuses.items():
        record = existing.get(membership_pk)
        if status is None:
            if record is not None:
                to_clear.append(record)
        elif record is None:
            to_create.append(Attendance(module=module, membership_id=membership_pk, status=status))
        elif record.status != status:
            was[record.pk] = record.status
            record.status = status
            # bulk_update bypasses auto_now, so the time is set here.
            record.updated_at = now
            to_update.append(record)
    Attendance.objects.bulk_create(to_create)
    Attendance.objects.bulk_update(to_update, ["status", "updated_at"])
    if to_clear:
        # One entry per cleared mark comes from _attendance_audit in one INSERT, not one per row.
        with disable_auditlog():
            Attendance.objects.filter(pk__in=[record.pk for record in to_clear]).delete()
    _attendance_audit(module=module, created=to_create, updated=to_update, cleared=to_clear, was=was, by=by)
    changed = len(to_create) + len(to_update) + len(to_clear)
    logger.info("attendance recorded for module %s by %s: %s changed", module.pk, getattr(by, "pk", None), changed)
    return changed


def _attendance_audit(*, module: Module, created: list, updated: list, cleared: list, was: dict, by) -> None:
    """Bulk writes send no signals, so auditlog would not see them: recorded here (at most 4 queries)."""
    if not created and not updated and not cleared:
        return
    names = dict(
        Membership.objects.filter(pk__in=[a.membership_id for a in created + updated + cleared]).values_list(
            "pk", "person__full_name"
        )
    )

    def label(record):
        return f"{names.get(record.membership_id, '')} – module {module.number}"

    audit_bulk(
        model=Attendance,
        rows=[
            (
                a.pk,
                label(a),
                {"module": [None, module.pk], "membership": [None, a.membership_id], "status": [None, a.status]},
            )
            for a in created
        ],
        action=Action.CREATE,
        actor=by,
    )
    audit_bulk(
        model=Attendance,
        rows=[(a.pk, label(a), {"status": [was[a.pk], a.status]}) for a in updated],
        action=Action.UPDATE,
        actor=by,
    )
    # A mark cleared back to "not recorded": the row goes, so its entry keeps the status it had.
    audit_bulk(
        model=Attendance,
        rows=[(a.pk, label(a), {"status": [a.status, None]}) for a in cleared],
        action=Action.DELETE,
        actor=by,
    )


@transaction.atomic
def module_mark_delivered(*, module: Module, by=None) -> Module:
    """Mark a module delivered and tell higher apps (``signals.module_delivered``: surveys opens the
    module's survey); marking it again changes nothing.

    A module cannot be delivered before it has started.
    """
    module = Module.objects.select_for_update().get(pk=module.pk)
    if module.is_delivered:
        return module
    now = timezone.now()
    if module.starts_at > now:
        raise ValidationError(
            _("Module %(number)s starts on %(start)s; it can be marked delivered once it has started.")
            % {
                "number": module.number,
                "start": formats.date_format(timezone.localtime(module.starts_at), "DATETIME_FORMAT"),
            },
            code="not_started",
        )
    module.state = Module.State.DELIVERED
    module.delivered_at = now
    module.save(update_fields=["state", "delivered_at", "updated_at"])
    logger.info("module %s marked delivered by %s", module.pk, getattr(by, "pk", None))
    # In this transaction: surveys' receiver opens the survey of modules 1-5 and records the
    # invitations (the e-mails go out after commit); if it fails, the module stays planned.
    module_delivered.send(sender=Module, module=module, now=now)
    return module


def modules_mark_ended_delivered(*, now: datetime.datetime | None = None) -> list[int]:
    """Mark delivered the modules followed by a survey that have ended but that nobody marked, so that
    their surveys open (through ``module_delivered``). Each module in its own transaction; returns
    the ids of the modules marked."""
    now = now or timezone.now()
    modules = (
        Module.objects.with_survey()
        .filter(state=Module.State.PLANNED, ends_at__lte=now, ends_at__gte=now - ENDED_LOOKBACK)
        .exclude(cohort__status=Cohort.Status.FINISHED)
        .order_by("ends_at")
    )
    marked = []
    for module in modules:
        module = module_mark_delivered(module=module)
        marked.append(module.pk)
        logger.info("module %s ended without being marked delivered; marked now", module.pk)
    return marked


@transaction.atomic
def module_update(
    *,
    module: Module,
    title: str,
    topics: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    venue: str,
    by=None,
) -> Module:
    """Change a module's details. The end must come after the start; a delivered module cannot move into the future."""
    errors = {}
    if ends_at <= starts_at:
        errors["ends_at"] = ValidationError(_("The module must end after it starts."), code="ends_before_start")
    if module.is_delivered and starts_at > timezone.now():
        errors["starts_at"] = ValidationError(
            _("This module has been delivered, so its start cannot be in the future."), code="delivered_in_future"
        )
    if errors:
        raise ValidationError(errors)
    module.title = title
    module.topics = topics
    module.starts_at = starts_at
    module.ends_at = ends_at
    module.venue = venue
    module.full_clean(exclude=["cohort"], validate_unique=False, validate_constraints=False)
    module.save(update_fields=["title", "topics", "starts_at", "ends_at", "venue", "updated_at"])
    return module


def _require_pdsa_module(module: Module) -> None:
    if not module.has_survey:
        raise ValidationError(_("Only modules 1 to 5 have a PDSA cycle."), code="no_pdsa")


@dataclass(frozen=True)
class ActItemChange:
    """One row of the Act list as edited: ``pk`` None for a new item."""

    text: str
    pk: int | None = None
    delete: bool = False


@transaction.atomic
def pdsa_cycle_update(
    *,
    module: Module,
    plan_intent: str,
    plan_prediction: str,
    do_notes: str,
    study_reading: str,
    act_items: list[ActItemChange] = (),
    by=None,
    seen_version: str = "",
) -> PDSACycle:
    """Save a module's PDSA cycle and its Act list (add, change, remove items) in one go; nothing
    if someone else saved it after the form was drawn (``seen_version``, common.versions)."""
    _require_pdsa_module(module)
    cycle, created = PDSACycle.objects.select_for_update().get_or_create(module=module)
    check_version(current=NO_ROW if created else row_version(cycle), seen=seen_version)
    cycle.plan_intent = plan_intent
    cycle.plan_prediction = plan_prediction
    cycle.do_notes = do_notes
    cycle.study_reading = study_reading
    cycle.updated_by = by
    cycle.save()

    existing = {item.pk: item for item in cycle.act_items.all()}
    unknown = [change.pk for change in act_items if change.pk is not None and change.pk not in existing]
    if unknown:
        raise ValidationError(_("One of the changes no longer exists; reload the page."), code="unknown_act_item")
    delete_pks, to_update, to_create = [], [], []
    now = timezone.now()
    for change in act_items:
        text = change.text.strip()
        if change.pk is None:
            if text and not change.delete:
                to_create.append(ActItem(cycle=cycle, text=text))
            continue
        if change.delete:
            delete_pks.append(change.pk)
        elif not text:
            raise ValidationError(_("A change cannot be empty; tick “remove” to delete it."), code="empty_act_item")
        elif existing[change.pk].text != text:
            item = existing[change.pk]
            item.text = text
            item.updated_at = now
            to_update.append(item)
    for item in to_create:
        item.full_clean(exclude=["cycle"])
    ActItem.objects.filter(cycle=cycle, pk__in=delete_pks).delete()
    ActItem.objects.bulk_update(to_update, ["text", "updated_at"])
    ActItem.objects.bulk_create(to_create)
    return cycle


@transaction.atomic
def act_item_set_done(*, act_item: ActItem, done: bool, by=None) -> ActItem:
    """Tick a planned adjustment off (or back on). Ticking an item that is already done keeps its first time."""
    act_item = ActItem.objects.select_for_update().get(pk=act_item.pk)
    if act_item.done == done:
        return act_item
    act_item.done = done
    act_item.done_at = timezone.now() if done else None
    act_item.done_by = by if done else None
    act_item.save(update_fields=["done", "done_at", "done_by", "updated_at"])
    return act_item


@transaction.atomic
def cohort_create_next(
    *,
    programme: Programme,
    commissioner: Organisation,
    name: str,
    start_date: datetime.date,
    facilitators: list[Person] = (),
    by=None,
) -> Cohort:
    """The provider's staff plan the next cohort of a programme: a planned cohort with its six modules
    dated from the programme's outline (``cohort_create_from_programme``), ending on module 6's day.

    Refused, with nothing created: a programme whose outline is not six modules, a commissioner that
    is not a commissioning organisation, a name another cohort of the programme already has."""
    name = name.strip()
    weeks = list(programme.outlines.order_by("number").values_list("number", "weeks_after_start"))
    if [number for number, _weeks in weeks] != list(range(1, 7)):
        raise ValidationError(
            _("%(programme)s needs an outline of six modules before a cohort can be made from it (it has %(n)s).")
            % {"programme": programme.name, "n": len(weeks)},
            code="outline_incomplete",
        )
    errors = {}
    if commissioner.kind != Organisation.Kind.COMMISSIONER:
        errors["commissioner"] = ValidationError(
            _("%(name)s is not a commissioning organisation.") % {"name": commissioner.name}, code="not_commissioner"
        )
    if Cohort.objects.filter(programme=programme, name__iexact=name).exists():
        errors["name"] = ValidationError(
            _("%(programme)s already has a cohort called “%(name)s”.") % {"programme": programme.name, "name": name},
            code="duplicate_name",
        )
    if errors:
        raise ValidationError(errors)
    last_day = start_date + datetime.timedelta(weeks=max(w for _number, w in weeks))
    cohort = cohort_create_from_programme(
        programme=programme,
        commissioner=commissioner,
        name=name,
        start_date=start_date,
        end_date=last_day,
        facilitators=list(facilitators),
        status=Cohort.Status.PLANNED,
    )
    logger.info("cohort %s created for programme %s by %s", cohort.pk, programme.pk, getattr(by, "pk", None))
    return cohort
