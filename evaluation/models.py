"""The practice log: what participants do with the programme's methods at work, between modules.

A participant logs a practice moment (date, method, with whom, an optional reflection). The
reflection is theirs: private unless they share it with their action-learning set. Facilitators
and the report see counts only (``evaluation.selectors``). A light monthly nudge by e-mail goes to
participants who have logged nothing for a while, unless they switch it off.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel, choice_label
from surveys.models import Answer

# Short enough to write on a phone in a minute; long enough for a few sentences.
REFLECTION_MAX_LENGTH = 1000


class PracticeMoment(TimeStampedModel):
    class Method(models.TextChoices):
        GROW = "grow", _("A GROW coaching conversation")
        APPRECIATIVE_INQUIRY = "appreciative_inquiry", _("Appreciative Inquiry")
        TEAM_DYNAMICS = "team_dynamics", _("A team-dynamics tool")
        ACTION_LEARNING = "action_learning", _("An action-learning question")
        PDSA = "pdsa", _("A PDSA test")
        OTHER = "other", _("Something else from the programme")

    class WithWhom(models.TextChoices):
        TEAM = "team", _("My team")
        COLLEAGUE = "colleague", _("A colleague")
        PATIENT_GROUP = "patient_group", _("A patient or carer group")
        OTHER = "other", _("Someone else")

    # CASCADE: the moments are the participant's own; they go when the membership is deleted.
    membership = models.ForeignKey(
        "cohorts.Membership",
        on_delete=models.CASCADE,
        related_name="practice_moments",
        verbose_name=_("participant"),
        limit_choices_to={"role": "participant"},
    )
    date = models.DateField(_("date"))
    method = models.CharField(_("method"), max_length=30, choices=Method.choices)
    with_whom = models.CharField(_("with whom"), max_length=20, choices=WithWhom.choices)
    # max_length on a TextField only sizes the form's box; the validator makes full_clean() enforce it.
    reflection = models.TextField(
        _("reflection"),
        max_length=REFLECTION_MAX_LENGTH,
        blank=True,
        validators=[MaxLengthValidator(REFLECTION_MAX_LENGTH)],
    )
    shared_with_set = models.BooleanField(_("shared with the action-learning set"), default=False)
    # The same levels as a survey answer's consent (surveys owns them). Only a reflection shared with
    # the set can be quoted: a private one was written for nobody else to read.
    quote_consent = models.CharField(
        _("quote consent"), max_length=20, choices=Answer.QuoteConsent.choices, default=Answer.QuoteConsent.NONE
    )

    class Meta:
        ordering = ["-date", "-created_at", "-pk"]
        verbose_name = _("practice moment")
        verbose_name_plural = _("practice moments")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    method__in=["grow", "appreciative_inquiry", "team_dynamics", "action_learning", "pdsa", "other"]
                ),
                name="practicemoment_method_valid",
            ),
            models.CheckConstraint(
                condition=Q(with_whom__in=["team", "colleague", "patient_group", "other"]),
                name="practicemoment_with_whom_valid",
            ),
            models.CheckConstraint(
                condition=Q(quote_consent="none")
                | Q(quote_consent__in=["anonymous", "role", "name_and_role"], shared_with_set=True) & ~Q(reflection=""),
                name="practicemoment_quote_only_shared_reflection",
            ),
        ]
        indexes = [models.Index(fields=["membership", "created_at"], name="practicemoment_member_created")]

    def __str__(self):
        return f"{self.get_method_display()} – {self.date:%d %b %Y}"

    # The practice log and the set's reflections show these for every moment (common.models.choice_label).
    def get_method_display(self) -> str:
        return choice_label(self.Method, self.method)

    def get_with_whom_display(self) -> str:
        return choice_label(self.WithWhom, self.with_whom)

    def clean(self):
        """A moment belongs to a participant and happened between the cohort's start and today."""
        errors = {}
        if self.membership_id and self.membership.role != self.membership.Role.PARTICIPANT:
            errors["membership"] = _("Only participants keep a practice log.")
        if self.date:
            if self.date > timezone.localdate():
                errors["date"] = _("The date cannot be in the future.")
            elif self.membership_id and self.date < self.membership.cohort.start_date:
                errors["date"] = _("The date cannot be before the programme started (%(start)s).") % {
                    "start": date_format(self.membership.cohort.start_date, "j F Y")
                }
        if errors:
            raise ValidationError(errors)


class PracticeNudgePreference(TimeStampedModel):
    """A participant's choice about the monthly nudge; no row means nudges are on."""

    membership = models.OneToOneField(
        "cohorts.Membership", on_delete=models.CASCADE, related_name="practice_nudge_preference"
    )
    nudges_on = models.BooleanField(_("monthly reminder by e-mail"), default=True)

    class Meta:
        verbose_name = _("practice nudge preference")
        verbose_name_plural = _("practice nudge preferences")

    def __str__(self):
        return f"{self.membership}: {'on' if self.nudges_on else 'off'}"


class PracticeNudge(TimeStampedModel):
    """One monthly nudge to one participant: the outbox row, written before the mail is sent.

    ``UniqueConstraint(membership, month)`` is what makes "at most one nudge a month" hold, however
    often the job runs.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Not sent: no longer due")

    membership = models.ForeignKey("cohorts.Membership", on_delete=models.CASCADE, related_name="practice_nudges")
    month = models.DateField(_("month"), help_text=_("The first day of the month the nudge belongs to."))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sending_started_at = models.DateTimeField(_("sending started at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-month", "membership"]
        verbose_name = _("practice nudge")
        verbose_name_plural = _("practice nudges")
        constraints = [
            models.UniqueConstraint(fields=["membership", "month"], name="practicenudge_one_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="practicenudge_month_first_day"),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sending", "sent", "failed", "cancelled"]),
                name="practicenudge_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="practicenudge_sent_has_time"
            ),
        ]

    def __str__(self):
        return f"{self.membership} – {self.month:%B %Y}: {self.get_status_display()}"


class CohortEvaluation(TimeStampedModel):
    """A cohort's evaluation dates. Created when module 6 is delivered (or by the schedule); the
    follow-up date defaults to module 6's day plus ``FOLLOW_UP_MONTHS`` and can be moved per cohort."""

    FOLLOW_UP_MONTHS = 3

    cohort = models.OneToOneField(
        "cohorts.Cohort", on_delete=models.CASCADE, related_name="evaluation", verbose_name=_("cohort")
    )
    follow_up_on = models.DateField(
        _("follow-up survey opens on"), null=True, blank=True, help_text=_("Default: three months after module 6.")
    )
    pre_closes_on = models.DateField(
        _("self-assessment before the programme closes on"),
        null=True,
        blank=True,
        help_text=_("Default: when module 1 starts, at most two weeks after the cohort starts."),
    )

    class Meta:
        verbose_name = _("cohort evaluation")
        verbose_name_plural = _("cohort evaluations")

    def __str__(self):
        return str(self.cohort)


class QuoteSelection(TimeStampedModel):
    """A consented quote a facilitator has chosen for the cohort's impact report, in report order.

    Exactly one source: a free-text survey answer or a practice reflection shared with the set. The
    consent stays with the source; every selector that lists selections filters on it, so a consent
    withdrawn (set to "no") takes the quote out of every draft at once, and the withdrawal service
    also deletes the rows.
    """

    # CASCADE throughout: a selection is only a pointer; it goes with its cohort or its source.
    cohort = models.ForeignKey("cohorts.Cohort", on_delete=models.CASCADE, related_name="quote_selections")
    answer = models.ForeignKey(
        "surveys.Answer", on_delete=models.CASCADE, null=True, blank=True, related_name="quote_selections"
    )
    practice_moment = models.ForeignKey(
        PracticeMoment, on_delete=models.CASCADE, null=True, blank=True, related_name="quote_selections"
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["cohort", "order", "pk"]
        verbose_name = _("quote selection")
        verbose_name_plural = _("quote selections")
        constraints = [
            models.CheckConstraint(
                condition=Q(answer__isnull=False, practice_moment__isnull=True)
                | Q(answer__isnull=True, practice_moment__isnull=False),
                name="quoteselection_exactly_one_source",
            ),
            models.UniqueConstraint(
                fields=["cohort", "answer"], condition=Q(answer__isnull=False), name="quoteselection_answer_once"
            ),
            models.UniqueConstraint(
                fields=["cohort", "practice_moment"],
                condition=Q(practice_moment__isnull=False),
                name="quoteselection_moment_once",
            ),
        ]

    def __str__(self):
        return _("Quote %(order)s of %(cohort)s") % {"order": self.order, "cohort": self.cohort_id}
