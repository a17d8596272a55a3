"""The module page's pager is drawn once per process from plain values (common.drawn): the same HTML as
the partial included with the modules themselves, and an edit shows at once."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from common.drawn import drawn
from modules import selectors
from modules.models import Module
from modules.tests.factories import modules_for_cohort
from modules.views import MODULE_PAGER

pytestmark = pytest.mark.django_db


def _included(page, cohort):
    return render_to_string(
        MODULE_PAGER,
        {
            "modules": page.modules,
            "module": page.module,
            "previous": page.previous,
            "next": page.next,
            "cohort": cohort,
            "url_name": "modules:module_detail",
            "pager_label": "Modules of this cohort",
        },
    )


@pytest.mark.parametrize("number", [1, 3, 6])
def test_the_drawn_pager_is_the_included_one(cohort, number):
    modules = modules_for_cohort(cohort)
    Module.objects.filter(pk=modules[0].pk).update(state=Module.State.DELIVERED, delivered_at=timezone.now())
    page = selectors.module_page(cohort=cohort, number=number)

    values = selectors.module_pager_values(page, url_name="modules:module_detail", label="Modules of this cohort")

    assert drawn(MODULE_PAGER, values) == _included(page, cohort)


def test_the_module_page_shows_a_renamed_module_in_its_pager_at_once(cohort, facilitator_client):
    modules = modules_for_cohort(cohort)
    url = reverse("modules:module_detail", kwargs={"cohort_pk": cohort.pk, "number": 1})
    assert "Next: 2. " + modules[1].title in facilitator_client.get(url).content.decode()

    Module.objects.filter(pk=modules[1].pk).update(title="Coaching conversations")

    html = facilitator_client.get(url).content.decode()
    assert "Next: 2. Coaching conversations" in html
    assert ": Coaching conversations</span>" in html
