"""Question sets, per-module surveys, invitations and responses.

Privacy is decided by what is *stored*, not by what pages show:

* named: a response points at the membership;
* pseudonymous: a response carries an opaque, stable pseudonym (an HMAC of the membership id), so
  the same person's answers can be paired across modules without names;
* anonymous: a response carries nothing that points at a person or an invitation. Only the holder
  of the link can find it again, through ``edit_key`` = HMAC(SECRET_KEY, token); the database keeps
  only sha256(token) in ``InvitationLink``, from which the edit key cannot be derived.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel, choice_label

from .querysets import InvitationQuerySet, QuestionSetQuerySet, SurveyQuerySet

DEFAULT_QUESTION_SET_SLUG = "module-feedback"


class QuestionSet(TimeStampedModel):
    """A reusable list of questions.

    Versioned copy-on-write: once a survey using a version has responses, the version is frozen and
    an edit makes the next version (same ``slug``), leaving the old responses intact.

    Owned by a programme (its shared sets, changed by staff), by one cohort (that cohort's own copy,
    changed by its facilitators and staff) or by nobody: the library, i.e. the built-in default and
    sets shared by several programmes, changed by staff only. Every version of a set has the same
    owner. Who sees and who changes what: ``QuestionSetQuerySet.visible_to_cohort`` and ``editable_by``.
    """

    class Owner(models.TextChoices):
        LIBRARY = "library", _("Library")
        PROGRAMME = "programme", _("Programme")
        COHORT = "cohort", _("Cohort")

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    slug = models.SlugField(
        _("slug"), max_length=80, help_text=_("Shared by every version of the same set."), db_index=True
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    is_current = models.BooleanField(_("current version"), default=True)
    previous_version = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="next_version"
    )
    copied_from_slug = models.SlugField(
        _("copied from"),
        max_length=80,
        blank=True,
        db_index=True,
        help_text=_(
            "The slug of the set this one was first copied from (kept by every version and by copies of copies), "
            "so a cohort's own copy of a library set, e.g. the self-assessment, is used in its place."
        ),
    )
    # A programme's or a cohort's sets go with it; sets in use are deleted only together with the
    # surveys that use them (RESTRICT on Survey.question_set and Answer.question).
    programme = models.ForeignKey(
        "cohorts.Programme",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="question_sets",
        verbose_name=_("owned by programme"),
        help_text=_("Changed by staff only; every cohort of the programme can use it."),
    )
    cohort = models.ForeignKey(
        "cohorts.Cohort",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="question_sets",
        verbose_name=_("owned by cohort"),
        help_text=_("Seen and changed by this cohort's facilitators only. Neither owner: a library set (staff)."),
    )

    objects = QuestionSetQuerySet.as_manager()

    class Meta:
        ordering = ["name", "-version"]
        verbose_name = _("question set")
        verbose_name_plural = _("question sets")
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="questionset_unique_slug_version"),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(is_current=True), name="questionset_one_current_version"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="questionset_version_positive"),
            models.CheckConstraint(
                condition=Q(programme__isnull=True) | Q(cohort__isnull=True), name="questionset_at_most_one_owner"
            ),
        ]

    def __str__(self):
        return f"{self.name} (v{self.version})"

    @property
    def owner_kind(self) -> "QuestionSet.Owner":
        if self.cohort_id is not None:
            return self.Owner.COHORT
        if self.programme_id is not None:
            return self.Owner.PROGRAMME
        return self.Owner.LIBRARY


class Question(models.Model):
    class Kind(models.TextChoices):
        LIKERT5 = "likert5", _("Agreement (5-point scale)")
        RATING0_10 = "rating0_10", _("Rating 0-10")
        SINGLE_CHOICE = "single_choice", _("Single choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")

    NUMERIC_KINDS = frozenset({Kind.LIKERT5, Kind.RATING0_10})
    CHOICE_KINDS = frozenset({Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE})
    TEXT_KINDS = frozenset({Kind.SHORT_TEXT, Kind.LONG_TEXT})
    # Kinds whose answer a condition can test.
    CONDITIONABLE_KINDS = NUMERIC_KINDS | CHOICE_KINDS

    LIKERT_LABELS = (
        (1, _("Strongly disagree")),
        (2, _("Disagree")),
        (3, _("Neither agree nor disagree")),
        (4, _("Agree")),
        (5, _("Strongly agree")),
    )

    question_set = models.ForeignKey(QuestionSet, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    code = models.SlugField(
        _("code"),
        max_length=60,
        help_text=_("Stable key kept across copies, used to compare the same question from module to module."),
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=500)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=True)
    max_choices = models.PositiveSmallIntegerField(
        _("maximum choices"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Multiple choice only; leave empty for no limit."),
    )
    # RESTRICT: a question others depend on is deleted only with its whole set (SET_NULL would leave
    # the dependants' condition_value behind, which question_condition_complete refuses).
    condition_question = models.ForeignKey(
        "self",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="dependent_questions",
        verbose_name=_("show only if question"),
    )
    condition_value = models.CharField(
        _("was answered"),
        max_length=200,
        blank=True,
        help_text=_("A choice's label, or a number for a scale question."),
    )
    # The retrospective "then" rating of a post self-assessment: looking back, where was I before the
    # programme? Asked beside the "now" rating; 5-point agreement scales only.
    asks_then = models.BooleanField(
        _('also ask "before the programme"'),
        default=False,
        help_text=_("Agreement scale only: a second rating, looking back to before the programme."),
    )

    class Meta:
        ordering = ["question_set", "order", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["question_set", "code"], name="question_unique_code_per_set"),
            models.CheckConstraint(
                condition=Q(
                    kind__in=["likert5", "rating0_10", "single_choice", "multiple_choice", "short_text", "long_text"]
                ),
                name="question_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(max_choices__isnull=True) | Q(kind="multiple_choice", max_choices__gte=1),
                name="question_max_choices_only_multiple",
            ),
            models.CheckConstraint(
                condition=Q(condition_question__isnull=True, condition_value="")
                | Q(condition_question__isnull=False) & ~Q(condition_value=""),
                name="question_condition_complete",
            ),
            models.CheckConstraint(
                condition=Q(asks_then=False) | Q(kind="likert5"), name="question_asks_then_only_likert5"
            ),
        ]

    def __str__(self):
        return self.text

    @property
    def is_numeric(self):
        return self.kind in self.NUMERIC_KINDS

    @property
    def is_choice(self):
        return self.kind in self.CHOICE_KINDS

    @property
    def is_text(self):
        return self.kind in self.TEXT_KINDS

    @property
    def scale(self):
        """The possible numeric values of a scale question."""
        if self.kind == self.Kind.LIKERT5:
            return list(range(1, 6))
        if self.kind == self.Kind.RATING0_10:
            return list(range(0, 11))
        return []


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    label = models.CharField(_("label"), max_length=200)

    class Meta:
        ordering = ["question", "order", "id"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        constraints = [
            models.UniqueConstraint(fields=["question", "label"], name="choice_unique_label_per_question"),
        ]

    def __str__(self):
        return self.label


class Survey(TimeStampedModel):
    class Privacy(models.TextChoices):
        NAMED = "named", _("Named: facilitators see who said what")
        PSEUDONYMOUS = "pseudonymous", _("Pseudonymous: answers paired over time, never names")
        ANONYMOUS = "anonymous", _("Anonymous: no link from answers to people")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Kind(models.TextChoices):
        MODULE = "module", _("After a module")
        SELF_PRE = "self_pre", _("Self-assessment before the programme")
        SELF_POST = "self_post", _("Self-assessment after the programme")
        EVALUATION = "evaluation", _("End-of-programme evaluation")
        FOLLOW_UP = "follow_up", _("Follow-up")

    DEFAULT_OPEN_DAYS = 7
    # The survey whose thank-you page leads on to another of the cohort's surveys: the post
    # self-assessment and the evaluation are two shorter surveys (answers to the first are kept even
    # if someone stops there), and the second is one click away from the first.
    LEADS_ON_TO = {Kind.SELF_POST: Kind.EVALUATION}

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MODULE)
    # The cohort is stored even for module surveys (it equals module.cohort): surveys that follow no
    # module (self-assessments, evaluation, follow-up) belong to the cohort directly.
    cohort = models.ForeignKey(
        "cohorts.Cohort", on_delete=models.CASCADE, related_name="surveys", verbose_name=_("cohort")
    )
    module = models.OneToOneField(
        "modules.Module",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="survey",
        verbose_name=_("module"),
    )
    # RESTRICT, not PROTECT: a set in use cannot be deleted, except together with its owner cohort,
    # whose surveys go in the same cascade.
    question_set = models.ForeignKey(
        QuestionSet, on_delete=models.RESTRICT, related_name="surveys", verbose_name=_("question set")
    )
    privacy = models.CharField(_("privacy"), max_length=20, choices=Privacy.choices, default=Privacy.PSEUDONYMOUS)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reminder_after_days = models.PositiveSmallIntegerField(
        _("remind after (days)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    max_reminders = models.PositiveSmallIntegerField(
        _("maximum reminders"), default=2, validators=[MaxValueValidator(10)]
    )
    summary_sent_at = models.DateTimeField(_("summary sent at"), null=True, blank=True)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        # Not by module number: that is an outer join now, and the answering code locks rows of tables
        # ordered by survey (SELECT ... FOR UPDATE refuses the nullable side of an outer join).
        ordering = ["cohort", "kind", "id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["module", "self_pre", "self_post", "evaluation", "follow_up"]),
                name="survey_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind="module", module__isnull=False) | ~Q(kind="module") & Q(module__isnull=True),
                name="survey_module_iff_module_kind",
            ),
            models.UniqueConstraint(
                fields=["cohort", "kind"], condition=~Q(kind="module"), name="survey_one_per_cohort_kind"
            ),
            models.CheckConstraint(
                condition=Q(privacy__in=["named", "pseudonymous", "anonymous"]), name="survey_privacy_valid"
            ),
            models.CheckConstraint(condition=Q(status__in=["draft", "open", "closed"]), name="survey_status_valid"),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True) | Q(closes_at__isnull=True) | Q(closes_at__gt=models.F("opens_at")),
                name="survey_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(opens_at__isnull=False, closes_at__isnull=False),
                name="survey_open_has_dates",
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) | ~Q(status="closed"),
                name="survey_closed_has_time",
            ),
        ]

    def __str__(self):
        return str(self.title)

    @property
    def title(self) -> str:
        """What pages and mails call the survey (needs ``module`` loaded for module surveys)."""
        if self.kind == self.Kind.MODULE:
            return _("Survey after %(module)s") % {"module": self.module}
        return self.Kind(self.kind).label

    @property
    def is_module_survey(self) -> bool:
        return self.kind == self.Kind.MODULE

    @property
    def is_named(self):
        return self.privacy == self.Privacy.NAMED

    @property
    def is_anonymous(self):
        return self.privacy == self.Privacy.ANONYMOUS

    @property
    def quote_consent_levels(self) -> list[str]:
        """Which quote consents a free-text answer of this survey can carry besides "no".

        A name is offered only where the answers are named already: a named quote of a
        pseudonymous answer would unmask the pseudonym and every answer behind it. An anonymous
        survey offers "anonymously" only: a role would single people out in a small profession.
        """
        levels = [Answer.QuoteConsent.NONE, Answer.QuoteConsent.ANONYMOUS]
        if self.privacy != self.Privacy.ANONYMOUS:
            levels.append(Answer.QuoteConsent.ROLE)
        if self.privacy == self.Privacy.NAMED:
            levels.append(Answer.QuoteConsent.NAME_AND_ROLE)
        return levels

    def results_url(self) -> str:
        """The facilitators' results page of a module survey (needs ``module``); "" for the other kinds,
        whose figures the evaluation pages show."""
        if self.module_id is None:
            return ""
        return reverse("surveys:survey_results", kwargs={"cohort_pk": self.cohort_id, "number": self.module.number})

    def is_accepting_at(self, moment):
        """Whether answers can be given or changed at ``moment``."""
        return (
            self.status == self.Status.OPEN and self.opens_at is not None and self.opens_at <= moment < self.closes_at
        )


class Invitation(TimeStampedModel):
    """One participant's invitation to one survey: the outbox row that the mailer works through."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    membership = models.ForeignKey("cohorts.Membership", on_delete=models.CASCADE, related_name="survey_invitations")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    sending_started_at = models.DateTimeField(_("sending started at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # Set in every privacy mode. For anonymous surveys only the day is kept, so that the moment of
    # responding cannot be matched to a response row.
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminder_at = models.DateTimeField(_("last reminder at"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["survey", "membership__person__full_name"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(fields=["survey", "membership"], name="invitation_unique_per_survey_membership"),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sending", "sent", "failed"]), name="invitation_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "queued_at"], name="invitation_status_queued")]

    def __str__(self):
        return f"{self.membership.person} – {self.survey}"

    def get_status_display(self) -> str:
        return choice_label(self.Status, self.status)  # shown on every row of a survey's invitations

    @property
    def has_responded(self):
        return self.responded_at is not None

    @property
    def answer_is_final(self) -> bool:
        """An anonymous answer, once given, is final except through the link that gave it.

        Nothing ties an anonymous response to a person, only to the link that submitted it (see
        ``InvitationLink``), so a new link (a resent invitation, "my programme") or another of the
        invitation's links cannot reach it: they show "you have already answered" instead.
        """
        return self.survey.is_anonymous and self.has_responded


class InvitationLink(models.Model):
    """One link issued for an invitation: the invitation mail, each reminder, "my programme", a
    facilitator's copy. Every link stays valid until the survey closes, so a reminder never takes
    away the link someone already has (or has open in a form).

    Only sha256(token) is stored. A link whose message the mail server refused is deleted again.

    Named and pseudonymous surveys find the response from any link (by membership or pseudonym).
    An anonymous response is keyed by HMAC(SECRET_KEY, token) of the one link that created it, and
    no other link can compute that key: a per-invitation secret would have to be stored, and with it
    the database would tie the response to the invitation. So an anonymous answer is final except
    through the link that gave it: that link edits it; the invitation's other links show "you have
    already answered" (``Invitation.responded_at`` is set; see ``ResponseLockedError``).
    """

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        ordering = ["invitation", "issued_at", "id"]
        verbose_name = _("invitation link")
        verbose_name_plural = _("invitation links")

    def __str__(self):
        return _("Link issued %(when)s") % {"when": self.issued_at}


class Response(models.Model):
    """One participant's answers to one survey.

    Exactly one of ``membership`` (named), ``pseudonym`` (pseudonymous) or ``edit_key`` (anonymous)
    is set. Timestamps of anonymous responses are kept to the day only. No TimeStampedModel: exact
    creation times would let someone match an anonymous response to an invitation.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    membership = models.ForeignKey(
        "cohorts.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="survey_responses"
    )
    pseudonym = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    edit_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    # Copied at submission for named and pseudonymous surveys only (breakdowns, minimum of 3).
    profession = models.CharField(_("profession"), max_length=40, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["survey", "id"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "membership"],
                condition=Q(membership__isnull=False),
                name="response_unique_per_survey_membership",
            ),
            models.UniqueConstraint(
                fields=["survey", "pseudonym"], condition=~Q(pseudonym=""), name="response_unique_per_survey_pseudonym"
            ),
            models.CheckConstraint(
                condition=Q(membership__isnull=False, pseudonym="", edit_key__isnull=True)
                | Q(membership__isnull=True, edit_key__isnull=True) & ~Q(pseudonym="")
                | Q(membership__isnull=True, pseudonym="", edit_key__isnull=False, profession=""),
                name="response_one_respondent_key",
            ),
        ]

    def __str__(self):
        return _("Response %(id)s to %(survey)s") % {"id": self.pk, "survey": self.survey}


class Answer(models.Model):
    class QuoteConsent(models.TextChoices):
        """May the provider quote this free-text answer in the impact report, and how attributed?"""

        NONE = "none", _("No")
        ANONYMOUS = "anonymous", _("Yes, anonymously")
        ROLE = "role", _("Yes, with my role")
        NAME_AND_ROLE = "name_and_role", _("Yes, with my name and role")

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.RESTRICT, related_name="answers")
    number = models.SmallIntegerField(_("number"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)
    choices = models.ManyToManyField(Choice, blank=True, related_name="answers", verbose_name=_("choices"))
    # The retrospective "before the programme" rating of a question that ``asks_then``.
    then_number = models.SmallIntegerField(_("before the programme"), null=True, blank=True)
    # Part of the answer: changed with it while the survey is open (and withdrawn later from "my
    # programme"). Which levels a survey offers depends on its privacy (``quote_consent_choices``).
    quote_consent = models.CharField(
        _("quote consent"), max_length=20, choices=QuoteConsent.choices, default=QuoteConsent.NONE
    )

    class Meta:
        ordering = ["response", "question__order"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_unique_per_response_question"),
            models.CheckConstraint(
                condition=Q(number__isnull=True) | Q(number__gte=0, number__lte=10), name="answer_number_0_to_10"
            ),
            models.CheckConstraint(
                condition=Q(then_number__isnull=True) | Q(then_number__gte=1, then_number__lte=5),
                name="answer_then_number_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(quote_consent__in=["none", "anonymous", "role", "name_and_role"]),
                name="answer_quote_consent_valid",
            ),
        ]

    def __str__(self):
        return f"{self.question.code}: {self.number if self.number is not None else self.text}"


class ProgrammeSurveyDefaults(TimeStampedModel):
    """Which question set and privacy mode a programme's module surveys use."""

    programme = models.OneToOneField(
        "cohorts.Programme", on_delete=models.CASCADE, related_name="survey_defaults", verbose_name=_("programme")
    )
    question_set = models.ForeignKey(QuestionSet, on_delete=models.RESTRICT, related_name="+")
    privacy = models.CharField(
        _("privacy"), max_length=20, choices=Survey.Privacy.choices, default=Survey.Privacy.PSEUDONYMOUS
    )

    class Meta:
        verbose_name = _("programme survey defaults")
        verbose_name_plural = _("programme survey defaults")

    def __str__(self):
        return str(self.programme)


class CohortSurveySettings(TimeStampedModel):
    """A cohort's override of its programme's survey defaults (empty fields fall back)."""

    cohort = models.OneToOneField(
        "cohorts.Cohort", on_delete=models.CASCADE, related_name="survey_settings", verbose_name=_("cohort")
    )
    question_set = models.ForeignKey(
        QuestionSet, on_delete=models.RESTRICT, null=True, blank=True, related_name="+", verbose_name=_("question set")
    )
    privacy = models.CharField(_("privacy"), max_length=20, choices=Survey.Privacy.choices, blank=True)

    class Meta:
        verbose_name = _("cohort survey settings")
        verbose_name_plural = _("cohort survey settings")

    def __str__(self):
        return str(self.cohort)
