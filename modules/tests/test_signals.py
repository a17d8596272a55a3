"""The one entry point modules offers to higher apps: module_delivered (receiver: surveys/receivers.py)."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from modules.models import Module
from modules.services import module_mark_delivered
from modules.signals import module_delivered
from modules.tests.factories import ModuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def module(cohort):
    return ModuleFactory(cohort=cohort, number=6, starts_at=timezone.now() - datetime.timedelta(days=1))


def test_module_mark_delivered_sends_module_delivered_once_inside_its_transaction(module):
    heard = []

    def listener(sender, *, module, now, **kwargs):
        heard.append((module.pk, module.state, now, transaction.get_connection().in_atomic_block))

    module_delivered.connect(listener)
    try:
        delivered = module_mark_delivered(module=module)
        module_mark_delivered(module=delivered)  # already delivered: no second signal
    finally:
        module_delivered.disconnect(listener)

    assert heard == [(module.pk, Module.State.DELIVERED, delivered.delivered_at, True)]


def test_a_failing_receiver_undoes_the_delivery(module):
    def listener(sender, **kwargs):
        raise RuntimeError("the survey could not open")

    module_delivered.connect(listener)
    try:
        with pytest.raises(RuntimeError, match="could not open"):
            module_mark_delivered(module=module)
    finally:
        module_delivered.disconnect(listener)

    module.refresh_from_db()
    assert module.state == Module.State.PLANNED
