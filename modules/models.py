from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel

from .querysets import ModuleQuerySet


class Module(TimeStampedModel):
    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DELIVERED = "delivered", _("Delivered")

    # Modules 1-5 are followed by a survey (and so have a PDSA cycle); module 6 is the celebration.
    SURVEY_NUMBERS = range(1, 6)

    cohort = models.ForeignKey("cohorts.Cohort", on_delete=models.CASCADE, related_name="modules")
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1), MaxValueValidator(6)])
    title = models.CharField(_("title"), max_length=200)
    topics = models.TextField(_("topics"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PLANNED)
    delivered_at = models.DateTimeField(_("marked delivered at"), null=True, blank=True)
    is_celebration = models.BooleanField(_("celebration event"), default=False)

    objects = ModuleQuerySet.as_manager()

    class Meta:
        ordering = ["cohort", "number"]
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        constraints = [
            models.UniqueConstraint(fields=["cohort", "number"], name="module_unique_number_per_cohort"),
            models.CheckConstraint(condition=Q(number__gte=1, number__lte=6), name="module_number_1_to_6"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="module_ends_after_start"),
            models.CheckConstraint(condition=Q(state__in=["planned", "delivered"]), name="module_state_valid"),
            models.CheckConstraint(
                condition=Q(state="planned", delivered_at__isnull=True)
                | Q(state="delivered", delivered_at__isnull=False),
                name="module_delivered_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.cohort} – {self.number}. {self.title}"

    @property
    def is_delivered(self):
        return self.state == self.State.DELIVERED

    @property
    def has_survey(self):
        return self.number in self.SURVEY_NUMBERS


class Attendance(TimeStampedModel):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        APOLOGIES = "apologies", _("Apologies")
        ABSENT = "absent", _("Absent")

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="attendances")
    membership = models.ForeignKey("cohorts.Membership", on_delete=models.CASCADE, related_name="attendances")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)

    class Meta:
        ordering = ["module", "membership__person__full_name"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [
            models.UniqueConstraint(fields=["module", "membership"], name="attendance_unique_per_module_membership"),
            models.CheckConstraint(
                condition=Q(status__in=["present", "apologies", "absent"]), name="attendance_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.membership.person} – {self.module}: {self.get_status_display()}"


class PDSACycle(TimeStampedModel):
    """The Plan-Do-Study-Act record of one surveyed module (1-5)."""

    module = models.OneToOneField(Module, on_delete=models.CASCADE, related_name="pdsa_cycle")
    plan_intent = models.TextField(
        _("what the module intends"), blank=True, help_text=_("The outcomes the module is designed to achieve.")
    )
    plan_prediction = models.TextField(
        _("prediction"), blank=True, help_text=_("What you expect to happen, so that Study can compare.")
    )
    do_notes = models.TextField(
        _("what happened on the day"), blank=True, help_text=_("What was delivered, what changed on the day.")
    )
    study_reading = models.TextField(
        _("the facilitators' reading"), blank=True, help_text=_("What the survey and the day tell you.")
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("PDSA cycle")
        verbose_name_plural = _("PDSA cycles")

    def __str__(self):
        return f"PDSA – {self.module}"


class ActItem(TimeStampedModel):
    """A change the facilitators decided on after studying module N, to make in module N+1."""

    cycle = models.ForeignKey(PDSACycle, on_delete=models.CASCADE, related_name="act_items")
    text = models.CharField(_("change to make"), max_length=500)
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )

    class Meta:
        ordering = ["cycle", "created_at", "pk"]
        verbose_name = _("act item")
        verbose_name_plural = _("act items")
        constraints = [
            models.CheckConstraint(
                condition=Q(done=False, done_at__isnull=True) | Q(done=True, done_at__isnull=False),
                name="act_item_done_has_time",
                violation_error_message=_("A change that is done needs the time it was done, and only then."),
            ),
            models.CheckConstraint(
                condition=~Q(text=""),
                name="act_item_text_not_empty",
                violation_error_message=_("Write the change to make."),
            ),
        ]

    def __str__(self):
        return self.text
