import pytest
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from cohorts.models import Person
from common.models import choice_label
from projects.models import ImprovementProject, Measure
from surveys.models import Invitation

# Each model method that replaces Django's generated get_FOO_display with choice_label.
DISPLAYS = [
    (Person, "profession", Person.Profession),
    (Invitation, "status", Invitation.Status),
    (ImprovementProject, "area", ImprovementProject.Area),
    (ImprovementProject, "status", ImprovementProject.Status),
    (Measure, "kind", Measure.Kind),
    (Measure, "better", Measure.Direction),
]


@pytest.mark.parametrize(("model", "field", "choices"), DISPLAYS)
def test_get_display_gives_each_choice_its_label_as_a_string(model, field, choices):
    for choice in choices:
        shown = getattr(model(**{field: choice.value}), f"get_{field}_display")()
        assert shown == str(choice.label)
        assert type(shown) is str


def test_choice_label_of_an_unknown_value_is_the_value():
    assert choice_label(Invitation.Status, "lost") == "lost"


def test_choice_label_is_in_the_active_language():
    with translation.override("en"):
        assert choice_label(Measure.Direction, Measure.Direction.DOWN) == str(Measure.Direction.DOWN.label)
        assert choice_label(Invitation.Status, "sent") == "Sent"


class _Answer(models.TextChoices):
    YES = "yes", _("Yes")  # in Django's own catalogs


def test_choice_label_follows_the_language_after_its_labels_were_first_read():
    with translation.override("en"):
        assert choice_label(_Answer, "yes") == "Yes"
    with translation.override("de"):
        assert choice_label(_Answer, "yes") == "Ja"
    with translation.override("en"):
        assert choice_label(_Answer, "yes") == "Yes"


def test_choice_label_without_an_active_language_is_the_default_one():
    with translation.override(None):
        assert choice_label(Invitation.Status, "sent") == "Sent"
