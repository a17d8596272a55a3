import pytest

from demo import scenario as cohorts_demo
from modules import demo
from modules.models import ActItem, PDSACycle
from modules.selectors import module_page
from surveys.selectors import pdsa_timeline_for_cohort

pytestmark = pytest.mark.django_db


def test_demo_populate_creates_cycles_and_carries_changes_and_is_idempotent():
    data = cohorts_demo.populate()

    demo.populate(demo=data)
    first = list(ActItem.objects.order_by("pk").values_list("pk", "text", "done"))
    PDSACycle.objects.filter(module__number=1).update(study_reading="Edited in the demo")
    demo.populate(demo=data)

    assert PDSACycle.objects.filter(module__cohort=data.cohort).count() == 4
    assert list(ActItem.objects.order_by("pk").values_list("pk", "text", "done")) == first
    assert PDSACycle.objects.get(module__number=1).study_reading == "Edited in the demo"
    module_2 = module_page(cohort=data.cohort, number=2)
    assert [item.done for item in module_2.planned_adjustments] == [True, True, True]
    assert module_2.planned_adjustments[0].done_by == data.facilitators[0].person.user
    module_4 = module_page(cohort=data.cohort, number=4)
    assert module_4.planned_adjustments
    assert not any(item.done for item in module_4.planned_adjustments)
    entries = pdsa_timeline_for_cohort(cohort=data.cohort)
    assert [bool(e.act_items) for e in entries] == [True, True, True, False, False]
    assert not PDSACycle.objects.filter(module__cohort=data.second_cohort).exists()
