import pytest

from modules.models import Module
from modules.tests.factories import modules_for_cohort

pytestmark = pytest.mark.django_db


def test_modules_1_to_5_have_a_survey_in_one_rule(cohort):
    modules = modules_for_cohort(cohort)

    assert list(Module.objects.with_survey().order_by("number").values_list("number", flat=True)) == [1, 2, 3, 4, 5]
    assert [m.number for m in modules if m.has_survey] == list(Module.SURVEY_NUMBERS)
