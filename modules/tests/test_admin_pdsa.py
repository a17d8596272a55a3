import pytest
from django.urls import reverse

from modules.tests.factories import ActItemFactory

pytestmark = pytest.mark.django_db


def test_act_item_admin_tick_records_time_and_person_and_untick_clears(client, staff_user):
    item = ActItemFactory(text="More small-group time")
    client.force_login(staff_user)
    url = reverse("admin:modules_actitem_change", args=[item.pk])

    ticked = client.post(url, {"cycle": item.cycle_id, "text": item.text, "done": "on"})
    item.refresh_from_db()
    done_at, done_by = item.done_at, item.done_by
    client.post(url, {"cycle": item.cycle_id, "text": item.text})
    item.refresh_from_db()

    assert ticked.status_code == 302
    assert done_at is not None
    assert done_by == staff_user
    assert (item.done, item.done_at, item.done_by) == (False, None, None)


def test_pdsa_cycle_admin_inline_tick_records_who(client, staff_user):
    item = ActItemFactory()
    cycle = item.cycle
    client.force_login(staff_user)
    data = {
        "module": cycle.module_id,
        "plan_intent": "Intent",
        "plan_prediction": "",
        "do_notes": "",
        "study_reading": "",
        "act_items-TOTAL_FORMS": "1",
        "act_items-INITIAL_FORMS": "1",
        "act_items-MIN_NUM_FORMS": "0",
        "act_items-MAX_NUM_FORMS": "1000",
        "act_items-0-id": item.pk,
        "act_items-0-cycle": cycle.pk,
        "act_items-0-text": item.text,
        "act_items-0-done": "on",
    }

    response = client.post(reverse("admin:modules_pdsacycle_change", args=[cycle.pk]), data)

    item.refresh_from_db()
    cycle.refresh_from_db()
    assert response.status_code == 302
    assert item.done
    assert item.done_by == staff_user
    assert cycle.updated_by == staff_user
