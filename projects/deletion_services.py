"""Deleting a set, a project, a measure, a data point or a presentation. Each asks nothing: the
confirmation page (``deletion_selectors``) has said what goes with it. Uploaded slides that go
with a presentation are removed from storage once the deletion is committed."""

from __future__ import annotations

from django.db import transaction

from .models import ActionLearningSet, DataPoint, ImprovementProject, Measure, Presentation


def _slides_delete_on_commit(presentations) -> None:
    names = [name for name in presentations.exclude(slides="").values_list("slides", flat=True) if name]
    if not names:
        return
    storage = Presentation._meta.get_field("slides").storage

    def remove():
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove)


def data_point_delete(*, point: DataPoint) -> None:
    point.delete()


@transaction.atomic
def measure_delete(*, measure: Measure) -> None:
    """A measure and its data points; PDSA cycles that studied it stay, without the link."""
    measure.delete()


@transaction.atomic
def project_delete(*, project: ImprovementProject) -> None:
    """A project with its measures, data points, PDSA cycles, driver diagram and progress scores.
    A presentation slot about it stays on the schedule, without the project."""
    project.delete()


@transaction.atomic
def presentation_delete(*, presentation: Presentation) -> None:
    """Take a presentation off the module 6 schedule (its feedback and slides go with it)."""
    _slides_delete_on_commit(Presentation.objects.filter(pk=presentation.pk))
    presentation.delete()


@transaction.atomic
def set_delete(*, action_learning_set: ActionLearningSet) -> None:
    """A set with its meetings, actions, reflections, projects and presentations; its members stay
    in the cohort, in no set."""
    _slides_delete_on_commit(Presentation.objects.filter(action_learning_set=action_learning_set))
    action_learning_set.delete()
