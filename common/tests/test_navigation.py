"""The cohort navigation is made once per process, keyed by all it shows: never stale."""

import pytest
from django.urls import reverse

from cohorts.models import Cohort

pytestmark = pytest.mark.django_db


def test_cohort_navigation_shows_the_cohorts_new_name_after_a_rename(facilitator_client, cohort):
    url = reverse("projects:set_list", kwargs={"cohort_pk": cohort.pk})
    assert f'aria-label="Cohort: {cohort.name}"' in facilitator_client.get(url).text
    Cohort.objects.filter(pk=cohort.pk).update(name="Renamed <cohort>")
    html = facilitator_client.get(url).text
    assert 'aria-label="Cohort: Renamed &lt;cohort&gt;"' in html
    assert ">Renamed &lt;cohort&gt;</a></li>" in html  # the breadcrumbs
    assert f"Cohort: {cohort.name}" not in html


def test_cohort_navigation_differs_by_page_and_viewer(facilitator_client, client, cohort, world):
    sets = reverse("projects:set_list", kwargs={"cohort_pk": cohort.pk})
    surveys = reverse("surveys:survey_list", kwargs={"cohort_pk": cohort.pk})
    on_sets = facilitator_client.get(sets).text
    on_surveys = facilitator_client.get(surveys).text
    assert f'href="{sets}" aria-current="page"' in on_sets
    assert f'href="{surveys}" aria-current="page"' in on_surveys
    assert f'href="{sets}" aria-current="page"' not in on_surveys
    client.force_login(world["member_a"].person.user)
    as_participant = client.get(sets).text
    assert f'href="{surveys}"' not in as_participant  # a facilitators' section
    assert 'href="/"' not in as_participant.split("<main", 1)[1].split("</nav>", 1)[0]  # My programme, not Home
