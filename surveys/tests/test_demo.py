import pytest

from demo import scenario as cohorts_demo
from surveys import demo
from surveys.models import Invitation, Response
from surveys.selectors import survey_summaries_for_cohort

pytestmark = pytest.mark.django_db


def test_populate_creates_three_surveys_with_realistic_rates_and_is_idempotent():
    data = cohorts_demo.populate()
    demo.populate(demo=data)
    responses = Response.objects.count()
    demo.populate(demo=data)
    assert Response.objects.count() == responses
    summaries = survey_summaries_for_cohort(cohort=data.cohort)
    assert sorted(summaries) == [1, 2, 3]
    for summary in summaries.values():
        assert 0.7 <= summary.response_rate <= 0.85
        assert all(value is not None for _c, _l, value, _k in summary.headline)
    assert not Invitation.objects.filter(status=Invitation.Status.QUEUED).exists()
