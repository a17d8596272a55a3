"""Action-learning sets, improvement projects, measures, project PDSA cycles and module 6."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel, choice_label

from .querysets import (
    ActionLearningSetQuerySet,
    ImprovementProjectQuerySet,
    MeasureQuerySet,
    PresentationQuerySet,
)

# The 0.5-5 progress scale of the IHI Breakthrough Series (used by NHS improvement teams).
PROGRESS_SCORES = [Decimal(n) / 2 for n in range(1, 11)]
PROGRESS_SCORE_MEANINGS = {
    Decimal("0.5"): _("Intent to take part"),
    Decimal("1.0"): _("Forming the team"),
    Decimal("1.5"): _("Planning for the project has begun"),
    Decimal("2.0"): _("Activity, but no changes yet"),
    Decimal("2.5"): _("Changes tested, but no improvement"),
    Decimal("3.0"): _("Modest improvement"),
    Decimal("3.5"): _("Improvement"),
    Decimal("4.0"): _("Significant improvement"),
    Decimal("4.5"): _("Sustainable improvement"),
    Decimal("5.0"): _("Outstanding sustainable results"),
}
PROGRESS_SCORE_CHOICES = [(score, f"{score} – {PROGRESS_SCORE_MEANINGS[score]}") for score in PROGRESS_SCORES]


def _progress_score_field(**kwargs):
    return models.DecimalField(
        _("progress score"), max_digits=2, decimal_places=1, choices=PROGRESS_SCORE_CHOICES, **kwargs
    )


def _progress_score_check(field, name):
    allowed = Q(**{f"{field}__in": PROGRESS_SCORES})
    return models.CheckConstraint(condition=allowed | Q(**{f"{field}__isnull": True}), name=name)


class ActionLearningSet(TimeStampedModel):
    cohort = models.ForeignKey("cohorts.Cohort", on_delete=models.CASCADE, related_name="action_learning_sets")
    name = models.CharField(_("name"), max_length=100)
    # SET_NULL: a set outlives its facilitator's membership being deleted; a facilitator is named again.
    set_facilitator = models.ForeignKey(
        "cohorts.Membership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="facilitated_sets",
        verbose_name=_("set facilitator"),
    )
    members = models.ManyToManyField(
        "cohorts.Membership", through="SetMembership", related_name="action_learning_sets", blank=True
    )
    reflections = models.TextField(
        _("the set's reflections"),
        blank=True,
        help_text=_("What the set learnt about leading change, shown on the module 6 showcase."),
    )

    objects = ActionLearningSetQuerySet.as_manager()

    class Meta:
        ordering = ["cohort", "name"]
        verbose_name = _("action-learning set")
        verbose_name_plural = _("action-learning sets")
        constraints = [models.UniqueConstraint(fields=["cohort", "name"], name="set_unique_name_per_cohort")]

    def __str__(self):
        return self.name


class SetMembership(TimeStampedModel):
    """A participant in a set. ``cohort`` is copied from the set so the database can say
    "at most one set per participant per cohort"."""

    action_learning_set = models.ForeignKey(ActionLearningSet, on_delete=models.CASCADE, related_name="set_memberships")
    cohort = models.ForeignKey("cohorts.Cohort", on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey("cohorts.Membership", on_delete=models.CASCADE, related_name="set_memberships")

    class Meta:
        ordering = ["membership__person__full_name"]
        verbose_name = _("set membership")
        verbose_name_plural = _("set memberships")
        constraints = [
            models.UniqueConstraint(fields=["cohort", "membership"], name="setmembership_one_set_per_cohort"),
        ]

    def __str__(self):
        return f"{self.membership.person} in {self.action_learning_set}"

    def clean(self):
        if self.action_learning_set_id and self.cohort_id and self.action_learning_set.cohort_id != self.cohort_id:
            raise ValidationError(_("The set belongs to another cohort."))
        if self.membership_id and self.cohort_id and self.membership.cohort_id != self.cohort_id:
            raise ValidationError(_("The participant belongs to another cohort."))


class SetMeeting(TimeStampedModel):
    action_learning_set = models.ForeignKey(ActionLearningSet, on_delete=models.CASCADE, related_name="meetings")
    date = models.DateField(_("date"))
    attendees = models.ManyToManyField(
        "cohorts.Membership", related_name="set_meetings_attended", blank=True, verbose_name=_("who came")
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("set meeting")
        verbose_name_plural = _("set meetings")

    def __str__(self):
        return f"{self.action_learning_set} – {self.date:%d %b %Y}"


class SetAction(TimeStampedModel):
    action_learning_set = models.ForeignKey(ActionLearningSet, on_delete=models.CASCADE, related_name="actions")
    meeting = models.ForeignKey(
        SetMeeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions", verbose_name=_("meeting")
    )
    description = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        "cohorts.Membership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="set_actions",
        verbose_name=_("owner"),
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)

    class Meta:
        ordering = ["done", F("due_date").asc(nulls_last=True), "pk"]
        verbose_name = _("set action")
        verbose_name_plural = _("set actions")

    def __str__(self):
        return self.description


class ImprovementProject(TimeStampedModel):
    class Area(models.TextChoices):
        CARE_PATHWAY = "care_pathway", _("Care pathway")
        PATIENT_SAFETY = "patient_safety", _("Patient safety")
        PATIENT_EXPERIENCE = "patient_experience", _("Patient experience")
        STAFF_EXPERIENCE = "staff_experience", _("Staff experience")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        IDEA = "idea", _("Idea")
        TESTING = "testing", _("Testing changes")
        IMPLEMENTING = "implementing", _("Implementing")
        SUSTAINING = "sustaining", _("Sustaining")
        STOPPED = "stopped", _("Stopped")

    action_learning_set = models.ForeignKey(
        ActionLearningSet, on_delete=models.CASCADE, related_name="projects", verbose_name=_("action-learning set")
    )
    title = models.CharField(_("title"), max_length=200)
    area = models.CharField(_("area"), max_length=30, choices=Area.choices, default=Area.OTHER)
    problem = models.TextField(
        _("the problem"),
        blank=True,
        help_text=_("The problem in the team's own words: what happens, to whom, why it matters."),
    )
    aim = models.TextField(
        _("aim statement"),
        blank=True,
        help_text=_("What will improve, by how much, by when. E.g. “Reduce … from … to … by March 2027”."),
    )
    stakeholders = models.TextField(
        _("stakeholders"), blank=True, help_text=_("Who is affected, who must be involved.")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.IDEA)
    progress_score = _progress_score_field(null=True, blank=True)

    objects = ImprovementProjectQuerySet.as_manager()

    class Meta:
        ordering = ["action_learning_set__name", "title"]
        verbose_name = _("improvement project")
        verbose_name_plural = _("improvement projects")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    area__in=["care_pathway", "patient_safety", "patient_experience", "staff_experience", "other"]
                ),
                name="project_area_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["idea", "testing", "implementing", "sustaining", "stopped"]),
                name="project_status_valid",
            ),
            _progress_score_check("progress_score", "project_progress_score_on_scale"),
        ]

    def __str__(self):
        return self.title

    # The showcase and the project list show these for every project (common.models.choice_label).
    def get_area_display(self) -> str:
        return choice_label(self.Area, self.area)

    def get_status_display(self) -> str:
        return choice_label(self.Status, self.status)

    @property
    def progress_score_meaning(self):
        return PROGRESS_SCORE_MEANINGS.get(self.progress_score, "")


class ProgressScore(models.Model):
    project = models.ForeignKey(ImprovementProject, on_delete=models.CASCADE, related_name="progress_scores")
    score = _progress_score_field()
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        "cohorts.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("why this score"), max_length=300, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("progress score")
        verbose_name_plural = _("progress scores")
        constraints = [
            models.CheckConstraint(condition=Q(score__in=PROGRESS_SCORES), name="progressscore_on_scale"),
        ]

    def __str__(self):
        return f"{self.project}: {self.score}"

    @property
    def meaning(self):
        return PROGRESS_SCORE_MEANINGS.get(self.score, "")


class DriverNode(models.Model):
    """One box of the driver diagram. The project's aim is the root; primary drivers have no
    parent, secondary drivers hang under a primary driver, change ideas under a secondary one."""

    class Kind(models.TextChoices):
        PRIMARY = "primary", _("Primary driver")
        SECONDARY = "secondary", _("Secondary driver")
        CHANGE_IDEA = "change_idea", _("Change idea")

    project = models.ForeignKey(ImprovementProject, on_delete=models.CASCADE, related_name="driver_nodes")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("text"), max_length=300)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("driver diagram entry")
        verbose_name_plural = _("driver diagram entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="primary", parent__isnull=True)
                | Q(kind__in=["secondary", "change_idea"], parent__isnull=False),
                name="drivernode_primary_is_root",
            ),
        ]

    def __str__(self):
        return self.text


class Measure(TimeStampedModel):
    class Kind(models.TextChoices):
        OUTCOME = "outcome", _("Outcome")
        PROCESS = "process", _("Process")
        BALANCING = "balancing", _("Balancing")

    class Direction(models.TextChoices):
        UP = "up", _("Higher is better")
        DOWN = "down", _("Lower is better")

    project = models.ForeignKey(ImprovementProject, on_delete=models.CASCADE, related_name="measures")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.OUTCOME)
    definition = models.TextField(
        _("operational definition"), blank=True, help_text=_("Exactly what is counted, how and how often.")
    )
    unit = models.CharField(_("unit"), max_length=50, blank=True, help_text=_("E.g. %, days, incidents per week."))
    better = models.CharField(
        _("which direction is better"), max_length=4, choices=Direction.choices, default=Direction.UP
    )
    baseline_points = models.PositiveSmallIntegerField(
        _("baseline: first N points"),
        null=True,
        blank=True,
        help_text=_("The median is taken over the first N points. Leave empty to use a date range or all points."),
    )
    baseline_start = models.DateField(_("baseline from"), null=True, blank=True)
    baseline_end = models.DateField(_("baseline to"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = MeasureQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["outcome", "process", "balancing"]), name="measure_kind_valid"
            ),
            models.CheckConstraint(condition=Q(better__in=["up", "down"]), name="measure_better_valid"),
            models.CheckConstraint(
                condition=Q(baseline_points__isnull=True) | Q(baseline_start__isnull=True, baseline_end__isnull=True),
                name="measure_one_kind_of_baseline",
            ),
            models.CheckConstraint(
                condition=Q(baseline_start__isnull=True)
                | Q(baseline_end__isnull=True)
                | Q(baseline_end__gte=F("baseline_start")),
                name="measure_baseline_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(baseline_points__isnull=True) | Q(baseline_points__gte=1),
                name="measure_baseline_points_positive",
            ),
        ]

    def __str__(self):
        return self.name

    # The showcase shows these for every measure (common.models.choice_label).
    def get_kind_display(self) -> str:
        return choice_label(self.Kind, self.kind)

    def get_better_display(self) -> str:
        return choice_label(self.Direction, self.better)

    def clean(self):
        if self.baseline_points and (self.baseline_start or self.baseline_end):
            raise ValidationError(_("Give the baseline either as a number of points or as a date range, not both."))
        if self.baseline_start and self.baseline_end and self.baseline_end < self.baseline_start:
            raise ValidationError({"baseline_end": _("The baseline must end on or after its start.")})

    def baseline_mask(self, dates):
        """Which of these dates (in order) belong to the baseline."""
        if self.baseline_points:
            return [i < self.baseline_points for i in range(len(dates))]
        if self.baseline_start or self.baseline_end:
            return [
                (self.baseline_start is None or d >= self.baseline_start)
                and (self.baseline_end is None or d <= self.baseline_end)
                for d in dates
            ]
        return [True] * len(dates)


class DataPoint(TimeStampedModel):
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="data_points")
    date = models.DateField(_("date"))
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=3)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("data point")
        verbose_name_plural = _("data points")
        constraints = [models.UniqueConstraint(fields=["measure", "date"], name="datapoint_unique_date_per_measure")]

    def __str__(self):
        return f"{self.measure}: {self.date} = {self.value}"


class ProjectPDSACycle(TimeStampedModel):
    class Act(models.TextChoices):
        ADOPT = "adopt", _("Adopt")
        ADAPT = "adapt", _("Adapt")
        ABANDON = "abandon", _("Abandon")

    project = models.ForeignKey(ImprovementProject, on_delete=models.CASCADE, related_name="pdsa_cycles")
    title = models.CharField(
        _("title"), max_length=200, help_text=_("A short name for the test, e.g. “Ward round checklist on one ward”.")
    )
    # RESTRICT: a tested change idea is history, so it cannot be deleted on its own (the driver
    # diagram editor refuses to drop it), but deleting the whole project or cohort still cascades.
    change_idea = models.ForeignKey(
        DriverNode,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="pdsa_cycles",
        limit_choices_to={"kind": "change_idea"},
        verbose_name=_("change idea tested"),
    )
    plan = models.TextField(_("plan"), blank=True, help_text=_("What will be tested, by whom, where and when."))
    prediction = models.TextField(_("prediction"), blank=True, help_text=_("What do you think will happen?"))
    do = models.TextField(_("do"), blank=True, help_text=_("What happened when the test was carried out?"))
    study = models.TextField(
        _("study"), blank=True, help_text=_("What did the data show, compared with the prediction?")
    )
    measures = models.ManyToManyField(
        Measure, related_name="pdsa_cycles", blank=True, verbose_name=_("measures studied")
    )
    act = models.CharField(_("act"), max_length=10, choices=Act.choices, blank=True)
    act_notes = models.TextField(_("next steps"), blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        ordering = ["start_date", "pk"]
        verbose_name = _("project PDSA cycle")
        verbose_name_plural = _("project PDSA cycles")
        constraints = [
            models.CheckConstraint(
                condition=Q(act__in=["", "adopt", "adapt", "abandon"]), name="projectpdsa_act_valid"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="projectpdsa_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The cycle must end on or after its start.")})


def slides_upload_to(instance, filename):
    # The stored name never uses the uploaded name: it is shown back, not trusted.
    extension = "pdf" if filename.lower().endswith(".pdf") else "pptx"
    return f"slides/cohort-{instance.cohort_id}/presentation-{instance.pk}.{extension}"


class Presentation(TimeStampedModel):
    """One slot in the module 6 (celebration event) schedule."""

    cohort = models.ForeignKey("cohorts.Cohort", on_delete=models.CASCADE, related_name="presentations")
    action_learning_set = models.ForeignKey(
        ActionLearningSet, on_delete=models.CASCADE, related_name="presentations", verbose_name=_("action-learning set")
    )
    project = models.ForeignKey(
        ImprovementProject,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="presentations",
        verbose_name=_("project"),
    )
    order = models.PositiveSmallIntegerField(_("order"))
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"))
    title = models.CharField(_("title"), max_length=200)
    slides = models.FileField(_("slides"), upload_to=slides_upload_to, blank=True)
    slides_name = models.CharField(_("slides file name"), max_length=200, blank=True)
    slides_uploaded_at = models.DateTimeField(null=True, blank=True)

    objects = PresentationQuerySet.as_manager()

    class Meta:
        ordering = ["cohort", "order"]
        verbose_name = _("presentation")
        verbose_name_plural = _("presentations")
        constraints = [
            models.UniqueConstraint(fields=["cohort", "order"], name="presentation_unique_order_per_cohort"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="presentation_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.order}. {self.title}"


class PresentationFeedback(TimeStampedModel):
    presentation = models.ForeignKey(Presentation, on_delete=models.CASCADE, related_name="feedback")
    author = models.ForeignKey("cohorts.Membership", on_delete=models.CASCADE, related_name="presentation_feedback")
    went_well = models.TextField(_("what went well"), max_length=1000)
    even_better_if = models.TextField(_("even better if"), max_length=1000, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("presentation feedback")
        verbose_name_plural = _("presentation feedback")
        constraints = [
            models.UniqueConstraint(fields=["presentation", "author"], name="feedback_one_per_author_per_presentation"),
        ]

    def __str__(self):
        return f"{self.author.person} on {self.presentation}"
