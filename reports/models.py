"""A cohort's impact report: what the provider hands the commissioner at the end of a programme.

The figures are not stored here: ``reports.selectors.report_data_build`` reads them from the apps
below, already suppressed and consented, into one JSON-serialisable dict. A draft is built live each
time it is shown; publishing stores that dict (``snapshot``) so that the published report, its PDF
and its spreadsheet stay exactly as the commissioner received them, whatever changes later.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel

# Long enough for a short paragraph each; the page is printed, so no novel.
NARRATIVE_MAX_LENGTH = 4000
KEY_IMPACT_MAX_LENGTH = 400


class ImpactReport(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    # The shape of ``snapshot``: raised when the builder's dict changes in a way the templates must know.
    SNAPSHOT_VERSION = 1

    # CASCADE: the report is about the cohort and nothing else.
    cohort = models.OneToOneField(
        "cohorts.Cohort", on_delete=models.CASCADE, related_name="impact_report", verbose_name=_("cohort")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    limitations = models.TextField(
        _("limitations"),
        max_length=NARRATIVE_MAX_LENGTH,
        blank=True,
        help_text=_("What the evidence cannot show: self-ratings, no comparison group, who did not answer."),
    )
    recommendations = models.TextField(
        _("recommendations"),
        max_length=NARRATIVE_MAX_LENGTH,
        blank=True,
        help_text=_("What the facilitators recommend to the commissioner for the next cohort."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # SET_NULL: the snapshot keeps the publisher's name, so the record survives the account.
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    snapshot = models.JSONField(_("published figures and quotes"), null=True, blank=True)
    snapshot_version = models.PositiveSmallIntegerField(_("snapshot version"), null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("impact report")
        verbose_name_plural = _("impact reports")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["draft", "published"]), name="impactreport_status_valid"),
            # A published report is its snapshot; a draft has none (it is built live).
            models.CheckConstraint(
                condition=Q(status="draft", snapshot__isnull=True, published_at__isnull=True)
                | Q(
                    status="published",
                    snapshot__isnull=False,
                    published_at__isnull=False,
                    snapshot_version__isnull=False,
                ),
                name="impactreport_published_has_snapshot",
            ),
        ]

    def __str__(self):
        return _("Impact report: %(cohort)s") % {"cohort": self.cohort}

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class KeyImpact(TimeStampedModel):
    """One of the short list of key impacts the facilitators write and order, first in the report."""

    report = models.ForeignKey(ImpactReport, on_delete=models.CASCADE, related_name="key_impacts")
    text = models.CharField(_("key impact"), max_length=KEY_IMPACT_MAX_LENGTH)
    order = models.PositiveIntegerField(_("order"), default=0)
    # A section of the report ("self-assessment", "project:12", ...): the evidence the impact rests on.
    evidence = models.CharField(_("evidence"), max_length=40, blank=True)

    class Meta:
        ordering = ["report", "order", "pk"]
        verbose_name = _("key impact")
        verbose_name_plural = _("key impacts")
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="keyimpact_text_not_empty"),
        ]

    def __str__(self):
        return self.text
