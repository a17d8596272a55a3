"""What else goes when a set, a project, a measure, a data point or a presentation is deleted: the
lines its confirmation page shows. Each counts everything in one query (``common.counting``), whatever
the sizes."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.counting import counts

from .models import (
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


@dataclass(frozen=True)
class DeletionImpact:
    """``goes``: what is deleted with the object; ``stays``: what is kept but loses its link to it."""

    goes: list[str]
    stays: list[str]


def _lines(*counted: tuple[int, str]) -> list[str]:
    """``(number, text from ngettext)`` pairs as lines; a number of none leaves its line out."""
    return [text % {"count": number} for number, text in counted if number]


def _project_querysets(projects) -> dict:
    """What goes with ``projects`` (a queryset of them), to count."""
    return {
        "measures": Measure.objects.filter(project__in=projects),
        "points": DataPoint.objects.filter(measure__project__in=projects),
        "cycles": ProjectPDSACycle.objects.filter(project__in=projects),
        "nodes": DriverNode.objects.filter(project__in=projects),
        "scores": ProgressScore.objects.filter(project__in=projects),
    }


def _project_lines(number: dict) -> list[str]:
    """The lines of what goes with projects, from ``counts`` of ``_project_querysets``."""
    measures, points, cycles = number["measures"], number["points"], number["cycles"]
    nodes, scores = number["nodes"], number["scores"]
    return _lines(
        (
            measures,
            ngettext("%(count)d measure with its run chart", "%(count)d measures with their run charts", measures),
        ),
        (points, ngettext("%(count)d data point", "%(count)d data points", points)),
        (cycles, ngettext("%(count)d PDSA cycle", "%(count)d PDSA cycles", cycles)),
        (nodes, ngettext("%(count)d entry of the driver diagram", "%(count)d entries of the driver diagram", nodes)),
        (scores, ngettext("%(count)d progress score recorded", "%(count)d progress scores recorded", scores)),
    )


def data_point_deletion_impact(*, point: DataPoint) -> DeletionImpact:
    return DeletionImpact(goes=[], stays=[])


def measure_deletion_impact(*, measure: Measure) -> DeletionImpact:
    number = counts(
        points=DataPoint.objects.filter(measure=measure), cycles=ProjectPDSACycle.objects.filter(measures=measure)
    )
    points, cycles = number["points"], number["cycles"]
    return DeletionImpact(
        goes=_lines((points, ngettext("%(count)d data point", "%(count)d data points", points))),
        stays=_lines(
            (
                cycles,
                ngettext(
                    "%(count)d PDSA cycle that studied this measure (it stays, without the link)",
                    "%(count)d PDSA cycles that studied this measure (they stay, without the link)",
                    cycles,
                ),
            )
        ),
    )


def project_deletion_impact(*, project: ImprovementProject) -> DeletionImpact:
    number = counts(
        slots=Presentation.objects.filter(project=project),
        **_project_querysets(ImprovementProject.objects.filter(pk=project.pk)),
    )
    slots = number["slots"]
    return DeletionImpact(
        goes=_project_lines(number),
        stays=_lines(
            (
                slots,
                ngettext(
                    "%(count)d presentation slot at the celebration event (it stays, without the project)",
                    "%(count)d presentation slots at the celebration event (they stay, without the project)",
                    slots,
                ),
            )
        ),
    )


def presentation_deletion_impact(*, presentation: Presentation) -> DeletionImpact:
    feedback = PresentationFeedback.objects.filter(presentation=presentation).count()
    goes = _lines((feedback, ngettext("%(count)d piece of feedback", "%(count)d pieces of feedback", feedback)))
    if presentation.slides:
        goes.append(_("the uploaded slides (%(name)s)") % {"name": presentation.slides_name or _("slides")})
    return DeletionImpact(goes=goes, stays=[])


def set_deletion_impact(*, action_learning_set: ActionLearningSet) -> DeletionImpact:
    own = {"action_learning_set": action_learning_set}
    projects = ImprovementProject.objects.filter(**own)
    number = counts(
        projects=projects,
        meetings=SetMeeting.objects.filter(**own),
        actions=SetAction.objects.filter(**own),
        slots=Presentation.objects.filter(**own),
        feedback=PresentationFeedback.objects.filter(presentation__action_learning_set=action_learning_set),
        members=SetMembership.objects.filter(**own),
        **_project_querysets(projects),
    )
    project_count, meetings, actions, members = (
        number["projects"],
        number["meetings"],
        number["actions"],
        number["members"],
    )
    goes = _lines(
        (
            meetings,
            ngettext("%(count)d set meeting with its notes", "%(count)d set meetings with their notes", meetings),
        ),
        (actions, ngettext("%(count)d set action", "%(count)d set actions", actions)),
        (project_count, ngettext("%(count)d improvement project", "%(count)d improvement projects", project_count)),
    )
    goes += _project_lines(number)
    goes += _lines(
        (number["slots"], ngettext("%(count)d presentation slot", "%(count)d presentation slots", number["slots"])),
        (
            number["feedback"],
            ngettext("%(count)d piece of feedback", "%(count)d pieces of feedback", number["feedback"]),
        ),
    )
    if action_learning_set.reflections:
        goes.append(_("the set's reflections"))
    stays = _lines(
        (
            members,
            ngettext(
                "%(count)d member, who stays in the cohort without a set",
                "%(count)d members, who stay in the cohort without a set",
                members,
            ),
        )
    )
    return DeletionImpact(goes=goes, stays=stays)
