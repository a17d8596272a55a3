"""common.compiled.update_and_insert_values: a sent invitation marked and its mail logged in one
statement, the log row given as values."""

import pytest
from django.db import connection

from cohorts.models import Membership
from cohorts.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_update_and_insert_values_writes_each_calls_own_values(django_assert_num_queries):
    """The row is given as values; a column given the same object again reuses its preparation, one
    given another value is prepared again (the second call's status, error and time stamps)."""
    import datetime

    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from common.compiled import update_and_insert_values
    from common.models import SentEmail

    first, second = MembershipFactory(), MembershipFactory()
    content_type = ContentType.objects.get_for_model(Membership).pk
    kind, earlier = "test.kind", timezone.now() - datetime.timedelta(days=1)
    for membership, role, status, error, stamp in (
        (first, Membership.Role.FACILITATOR, "sent", "", earlier),
        (second, Membership.Role.SET_FACILITATOR, "failed", "550 no such user", earlier + datetime.timedelta(hours=1)),
    ):
        row = {
            "kind": kind,
            "to": f"m{membership.pk}@example.org",
            "subject": f"About {membership.pk}",
            "body": "",
            "redacted": False,
            "status": status,
            "error": error,
            "message_id": "",
            "content_type_id": content_type,
            "object_id": membership.pk,
            "created_at": stamp,
            "updated_at": stamp,
        }
        with django_assert_num_queries(1 if connection.vendor == "postgresql" else 4):
            update_and_insert_values(Membership, membership.pk, {"role": role, "updated_at": stamp}, SentEmail, row)

    assert dict(Membership.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "role")) == {
        first.pk: Membership.Role.FACILITATOR,
        second.pk: Membership.Role.SET_FACILITATOR,
    }
    assert sorted(
        SentEmail.objects.values_list("object_id", "kind", "status", "error", "created_at", "content_type")
    ) == [
        (first.pk, kind, "sent", "", earlier, content_type),
        (second.pk, kind, "failed", "550 no such user", earlier + datetime.timedelta(hours=1), content_type),
    ]


def test_update_and_insert_values_refuses_a_row_without_every_column():
    from common.compiled import update_and_insert_values
    from common.models import SentEmail

    membership = MembershipFactory()
    with pytest.raises(ValueError, match="every column"):
        update_and_insert_values(Membership, membership.pk, {"role": Membership.Role.FACILITATOR}, SentEmail, {})
