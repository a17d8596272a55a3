from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel, choice_label

from .querysets import CohortQuerySet, MembershipQuerySet


class Organisation(TimeStampedModel):
    class Kind(models.TextChoices):
        COMMISSIONER = "commissioner", _("Commissioner")
        PROVIDER = "provider", _("Provider")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["commissioner", "provider"]), name="organisation_kind_valid"),
        ]

    def __str__(self):
        return self.name


class Programme(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    provider = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="programmes", verbose_name=_("provider")
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [models.UniqueConstraint(fields=["provider", "name"], name="programme_unique_name_per_provider")]

    def __str__(self):
        return self.name


class ModuleOutline(TimeStampedModel):
    """One of a programme's six modules as planned; a cohort's modules are made from these."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="outlines")
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1), MaxValueValidator(6)])
    title = models.CharField(_("title"), max_length=200)
    topics = models.TextField(_("topics"), blank=True)
    duration_hours = models.DecimalField(
        _("duration (hours)"), max_digits=4, decimal_places=1, default=7, validators=[MinValueValidator(0.5)]
    )
    weeks_after_start = models.PositiveSmallIntegerField(
        _("weeks after the cohort starts"), default=0, help_text=_("Used to date the module when a cohort is created.")
    )
    is_celebration = models.BooleanField(
        _("celebration event"), default=False, help_text=_("Action-learning sets present their projects.")
    )

    class Meta:
        ordering = ["programme", "number"]
        verbose_name = _("module outline")
        verbose_name_plural = _("module outlines")
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="outline_unique_number_per_programme"),
            models.CheckConstraint(condition=Q(number__gte=1, number__lte=6), name="outline_number_1_to_6"),
            models.CheckConstraint(condition=Q(duration_hours__gt=0), name="outline_duration_positive"),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"


class Cohort(TimeStampedModel):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")

    class SurveyAudience(models.TextChoices):
        ALL_ACTIVE = "all_active", _("All active participants")
        PRESENT_ONLY = "present_only", _("Only participants marked present")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="cohorts")
    commissioner = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="commissioned_cohorts", verbose_name=_("commissioner")
    )
    name = models.CharField(_("name"), max_length=200)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    survey_audience = models.CharField(
        _("who is invited to module surveys"),
        max_length=20,
        choices=SurveyAudience.choices,
        default=SurveyAudience.ALL_ACTIVE,
    )

    objects = CohortQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "name"]
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="cohort_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["planned", "running", "finished"]), name="cohort_status_valid"
            ),
        ]

    def __str__(self):
        return self.name


class Person(TimeStampedModel):
    class Profession(models.TextChoices):
        NURSE = "nurse", _("Nursing")
        MEDICINE = "medicine", _("Medicine / psychiatry")
        PSYCHOLOGY = "psychology", _("Psychology")
        OCCUPATIONAL_THERAPY = "occupational_therapy", _("Occupational therapy")
        SOCIAL_WORK = "social_work", _("Social work")
        ALLIED_HEALTH = "allied_health", _("Other allied health profession")
        PEER_SUPPORT = "peer_support", _("Peer support")
        MANAGEMENT = "management", _("Management / administration")
        OTHER = "other", _("Other")

    full_name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("e-mail"), max_length=254)
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    profession = models.CharField(_("profession"), max_length=40, choices=Profession.choices, default=Profession.OTHER)
    team = models.CharField(_("team"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="people"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="person"
    )
    # Set by the erasure (cohorts.erasure): the row stays so that counts stay right, with nothing personal.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="person_email_unique_ci"),
        ]

    def __str__(self):
        return self.full_name

    def get_profession_display(self) -> str:
        return choice_label(self.Profession, self.profession)  # shown on every row of a cohort's tables

    def save(self, *args, **kwargs):
        # E-mail addresses are compared case-insensitively; store them in one form.
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class Membership(TimeStampedModel):
    class Role(models.TextChoices):
        PARTICIPANT = "participant", _("Participant")
        FACILITATOR = "facilitator", _("Facilitator")
        SET_FACILITATOR = "set_facilitator", _("Set facilitator")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PARTICIPANT)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["cohort", "role", "person__full_name"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["cohort", "person"], name="membership_unique_person_per_cohort"),
            models.CheckConstraint(
                condition=Q(role__in=["participant", "facilitator", "set_facilitator"]), name="membership_role_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="active", withdrawn_on__isnull=True) | Q(status="withdrawn", withdrawn_on__isnull=False)
                ),
                name="membership_withdrawn_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.person} ({self.get_role_display()}, {self.cohort})"

    @property
    def is_active(self):
        return self.status == self.Status.ACTIVE
