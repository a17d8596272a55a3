import datetime
import itertools
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from cohorts.models import Cohort, Membership, ModuleOutline, Organisation, Person, Programme
from cohorts.tests.factories import CohortFactory
from demo import scenario as demo
from evaluation import demo_finished
from modules.models import Attendance, Module

pytestmark = pytest.mark.django_db

User = get_user_model()
MODELS = (Organisation, Programme, ModuleOutline, Cohort, Person, Membership, Module, Attendance, User)


def load_demo(*args):
    out = StringIO()
    # Tests run with DEBUG off, which the command treats as a real system unless forced.
    call_command("load_demo", "--force", *args, stdout=out)
    return out.getvalue()


def _snapshot():
    return {model.__name__: sorted(model.objects.values_list("pk", flat=True)) for model in MODELS}


def test_load_demo_creates_running_cohort_with_30_active_participants_of_mixed_professions():
    load_demo()
    cohort = Cohort.objects.get(name=demo.COHORT)
    participants = cohort.memberships.participants().active().select_related("person")
    assert cohort.status == Cohort.Status.RUNNING
    assert cohort.commissioner.kind == Organisation.Kind.COMMISSIONER
    assert cohort.programme.name == "Collective Leadership Programme"
    assert cohort.programme.provider.kind == Organisation.Kind.PROVIDER
    assert participants.count() == 30
    assert len({m.person.profession for m in participants}) >= 5
    assert all(m.person.job_title and m.person.team for m in participants)


def test_load_demo_programme_has_six_outlines_ending_with_the_celebration():
    load_demo()
    outlines = list(ModuleOutline.objects.filter(programme__name=demo.PROGRAMME))
    assert [o.number for o in outlines] == [1, 2, 3, 4, 5, 6]
    assert [o.is_celebration for o in outlines] == [False] * 5 + [True]
    assert outlines[3].title.startswith("Coaching conversations: the GROW model")
    assert all(o.topics for o in outlines)
    gaps = [b.weeks_after_start - a.weeks_after_start for a, b in itertools.pairwise(outlines)]
    assert all(4 <= gap <= 5 for gap in gaps)


def test_load_demo_gives_the_running_cohort_two_facilitators_who_can_log_in(client):
    load_demo()
    cohort = Cohort.objects.get(name=demo.COHORT)
    facilitators = cohort.memberships.facilitators().active().select_related("person__user")
    assert facilitators.count() == 2
    assert {m.person.user.username for m in facilitators} == {"facilitator", "facilitator2"}
    assert client.login(username="facilitator", password="demo-facilitator-2026")
    assert client.login(username="facilitator2", password="demo-facilitator2-2026")
    # The demo facilitator also ran the finished cohort (evaluation/demo_finished.py).
    finished = Cohort.objects.get(name=demo_finished.NAME)
    assert set(Cohort.objects.for_user(User.objects.get(username="facilitator"))) == {cohort, finished}


def test_load_demo_delivers_modules_1_to_3_with_attendance():
    load_demo()
    cohort = Cohort.objects.get(name=demo.COHORT)
    now = timezone.now()
    for module in cohort.modules.filter(number__lte=3):
        statuses = list(module.attendances.values_list("status", flat=True))
        assert module.state == Module.State.DELIVERED
        assert module.delivered_at is not None
        assert module.ends_at < now
        assert module.venue
        assert len(statuses) == 30
        assert statuses.count(Attendance.Status.PRESENT) >= 26
    missed = Attendance.objects.filter(module__cohort=cohort).exclude(status=Attendance.Status.PRESENT)
    assert set(missed.values_list("status", flat=True)) == {Attendance.Status.APOLOGIES, Attendance.Status.ABSENT}


def test_load_demo_plans_modules_4_to_6_with_module_4_just_held_and_awaiting_delivery():
    load_demo()
    cohort = Cohort.objects.get(name=demo.COHORT)
    later = list(cohort.modules.filter(number__gte=4))
    assert [m.state for m in later] == [Module.State.PLANNED] * 3
    assert not Attendance.objects.filter(module__in=later).exists()
    # Module 4 took place on the last weekday, so a facilitator can mark it delivered now.
    assert later[0].ends_at < timezone.now()
    assert timezone.now() - later[0].starts_at < datetime.timedelta(days=4)
    assert timezone.localtime(later[0].starts_at).weekday() < 5
    assert all(m.starts_at > timezone.now() for m in later[1:])
    assert later[2].is_celebration


def test_load_demo_second_cohort_has_its_own_facilitator(client):
    load_demo()
    cohort = Cohort.objects.get(name=demo.COHORT)
    second = Cohort.objects.get(name=demo.SECOND_COHORT)
    [facilitator] = second.memberships.facilitators().select_related("person__user")
    assert second.commissioner != cohort.commissioner
    assert second.memberships.participants().active().count() == 12
    assert facilitator.person.user.username == "other-facilitator"
    assert not cohort.memberships.filter(person=facilitator.person).exists()
    assert list(Cohort.objects.for_user(facilitator.person.user)) == [second]
    assert client.login(username="other-facilitator", password="demo-other-facilitator-2026")


def test_load_demo_participant_and_admin_can_log_in(client):
    load_demo()
    participant = User.objects.get(username="participant")
    assert participant.person.memberships.get().role == Membership.Role.PARTICIPANT
    assert not participant.is_staff
    assert User.objects.get(username="admin").is_superuser
    assert client.login(username="participant", password="demo-participant-2026")
    assert client.login(username="admin", password="demo-admin-2026")


def test_load_demo_twice_does_not_duplicate():
    load_demo()
    first = _snapshot()
    output = load_demo()
    assert _snapshot() == first
    assert f"Found {demo.COHORT}" in output
    assert Person.objects.count() == 30 + 12 + 3 + len(demo_finished.PARTICIPANTS)


def test_load_demo_prints_the_demo_logins():
    output = load_demo()
    for username, password, _who in demo.DEMO_LOGINS:
        assert username in output
        assert password in output


def test_load_demo_reset_wipes_and_reloads():
    load_demo()
    old_cohort = Cohort.objects.get(name=demo.COHORT)
    Membership.objects.filter(cohort=old_cohort, role=Membership.Role.PARTICIPANT).first().delete()
    load_demo("--reset")
    assert not Cohort.objects.filter(pk=old_cohort.pk).exists()
    assert Cohort.objects.get(name=demo.COHORT).memberships.participants().count() == 30
    assert Person.objects.count() == 45 + len(demo_finished.PARTICIPANTS)


def test_load_demo_reset_refuses_when_other_data_uses_demo_people():
    load_demo()
    someone = Person.objects.get(full_name="Jodie Hamlyn")
    real_cohort = CohortFactory(name="A real cohort")
    Membership.objects.create(cohort=real_cohort, person=someone)
    before = _snapshot()
    with pytest.raises(CommandError, match="Records outside the demo"):
        load_demo("--reset")
    assert _snapshot() == before


def test_load_demo_refuses_without_debug_unless_forced():
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("load_demo", stdout=StringIO())
    assert not Cohort.objects.exists()


def test_populate_returns_demo_data_for_other_apps():
    data = demo.populate()
    assert data.cohort.name == demo.COHORT
    assert data.second_cohort.name == demo.SECOND_COHORT
    assert len(data.participants) == 30
    assert all(m.role == Membership.Role.PARTICIPANT and m.cohort == data.cohort for m in data.participants)
    assert [m.person.full_name for m in data.participants] == [row[0] for row in demo.PARTICIPANTS]
    assert len(data.facilitators) == 2
    assert data.second_facilitator.cohort == data.second_cohort
    assert len(data.second_participants) == 12
    assert set(data.users) == {"admin", "facilitator", "facilitator2", "other-facilitator", "participant"}
    assert data.programme.outlines.count() == 6


def test_load_demo_again_keeps_attendance_edited_since():
    load_demo()
    module = Module.objects.get(cohort__name=demo.COHORT, number=1)
    edited = module.attendances.get(membership__person__full_name="Amelia Trethewey")
    edited.status = Attendance.Status.ABSENT
    edited.save()
    load_demo()
    edited.refresh_from_db()
    assert edited.status == Attendance.Status.ABSENT
    assert module.attendances.count() == 30


def test_load_demo_reset_if_stale_leaves_a_demo_dated_today_alone():
    load_demo()
    before = _snapshot()

    out = load_demo("--reset-if-stale")

    assert "re-dating" not in out
    assert _snapshot() == before


def test_load_demo_reset_if_stale_re_dates_a_demo_loaded_on_an_earlier_day():
    load_demo()
    cohort = Cohort.objects.get(name=demo.COHORT)
    week = datetime.timedelta(weeks=1)
    # As if loaded a week ago: every date a week earlier.
    Cohort.objects.filter(pk=cohort.pk).update(start_date=cohort.start_date - week)
    for module in cohort.modules.all():
        Module.objects.filter(pk=module.pk).update(starts_at=module.starts_at - week, ends_at=module.ends_at - week)
    assert demo.is_stale()

    out = load_demo("--reset-if-stale")

    assert "re-dating" in out
    assert not demo.is_stale()
    fresh = Cohort.objects.get(name=demo.COHORT)
    assert fresh.start_date == cohort.start_date
    module_4 = fresh.modules.get(number=4)
    assert timezone.now() - datetime.timedelta(days=4) < module_4.starts_at < timezone.now()


def test_load_demo_every_member_can_ask_for_a_sign_in_link():
    load_demo()

    members = Membership.objects.filter(cohort__name=demo.COHORT).select_related("person__user")

    assert members.count() == 32
    assert all(m.person.user is not None and m.person.user.is_active for m in members)
