"""projects' part of erasing a person (cohorts.erasure): what they wrote alone goes, the rows stay.

Feedback they gave on a presentation is emptied (the feedback still counts), as are the notes on
progress scores they recorded. A project and its set's shared texts are the set's joint work and
stay; their membership in the set stays too, under the erased name.
"""

from .models import PresentationFeedback, ProgressScore


def person_erase_project_data(sender, *, person, **kwargs) -> dict:
    """cohorts.signals.person_erasing."""
    feedback = PresentationFeedback.objects.filter(author__person=person).update(went_well="", even_better_if="")
    notes = ProgressScore.objects.filter(recorded_by__person=person).exclude(note="").update(note="")
    return {"feedback_texts_removed": feedback, "score_notes_removed": notes}
