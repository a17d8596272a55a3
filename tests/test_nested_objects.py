"""Every object named in a cohort URL belongs to that cohort (issue 9, point 2), checked on every URL.

``tests/test_permissions.py`` checks that a cohort URL answers 404 to people of other cohorts. This
test checks the objects *inside* the URL: signed in as a facilitator of cohort A, every id after
``cohort_pk`` is filled in turn with

* the same kind of object from cohort B (another cohort of the same programme, so that the only thing
  that keeps B's objects out is that they belong to B), and then with all of B's objects at once;
* for an object that lives inside another one named in the URL (a meeting in a set, a question in a
  question set, a data point in a measure), the same kind of object from a sibling parent in cohort A;

and GET and POST must answer 404. With A's own objects the same URL must not answer 404, which shows
that the 404s come from the foreign objects. Question sets, which have no cohort of their own, are
filled with B's own copy: their ownership rule (``QuestionSet.objects.visible_to_cohort``) must hide it.

URL kwargs are filled from ``REGISTRY``, keyed by kwarg name (``pk``, which names different objects on
different URLs, is keyed by URL name too). A URL with a kwarg the registry does not know fails, so a
new URL cannot escape the test.
"""

import datetime
import decimal
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse

from cohorts.models import Membership
from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from evaluation.tests.factories import PracticeMomentFactory
from modules.tests.factories import ActItemFactory, ModuleFactory, PDSACycleFactory
from projects.models import DataPoint, SetAction, SetMeeting
from projects.tests.factories import (
    ActionLearningSetFactory,
    ImprovementProjectFactory,
    MeasureFactory,
    PresentationFactory,
    ProjectPDSACycleFactory,
    SetMembershipFactory,
)
from reports.services import key_impact_create
from surveys.models import Survey
from surveys.services import question_set_copy, question_set_default
from surveys.tests.factories import InvitationFactory, SurveyFactory

from .test_permissions import _walk

pytestmark = pytest.mark.django_db

# Names that mean different things on different URLs; the registry must name the URL for them.
AMBIGUOUS_KWARGS = {"pk", "id"}


@dataclass(frozen=True)
class Entry:
    """How to fill one URL kwarg from a cohort's objects (a ``SimpleNamespace`` built by ``_world``).

    ``home`` gives the value for the cohort's own object; the same function applied to the other
    cohort's objects gives the foreign value, unless ``foreign`` says otherwise. ``parent`` names the
    kwarg of the object this one lives in; ``sibling`` then gives the same kind of object from another
    parent in the same cohort.
    """

    home: Callable
    foreign: Callable | None = None
    parent: str | None = None
    sibling: Callable | None = None

    def foreign_value(self, world):
        return (self.foreign or self.home)(world)


@dataclass(frozen=True)
class Value:
    """A kwarg that names no object (an export format): always this value."""

    value: str


REGISTRY = {
    "membership_pk": Entry(lambda w: w.participant.pk),
    # Module numbers are positions inside a cohort; the foreign value is a number only the other
    # cohort has, so a view that looked modules up by number alone would find one.
    "number": Entry(lambda w: w.module.number, foreign=lambda w: w.module_only_here.number),
    # An adjustment is planned in module N's PDSA cycle and ticked off on module N + 1's page.
    "modules:act_item_toggle.number": Entry(
        lambda w: w.module.number + 1, foreign=lambda w: w.module_only_here.number + 1
    ),
    "item_pk": Entry(lambda w: w.act_item.pk, parent="number", sibling=lambda w: w.other_module_act_item.pk),
    "surveys:invitation_link_create.pk": Entry(
        lambda w: w.invitation.pk, parent="number", sibling=lambda w: w.other_module_invitation.pk
    ),
    "surveys:invitation_resend.pk": Entry(
        lambda w: w.invitation.pk, parent="number", sibling=lambda w: w.other_module_invitation.pk
    ),
    # The evaluation's surveys are named by kind: the foreign value is a kind only the other cohort has.
    "kind": Entry(lambda w: w.kind_survey.kind, foreign=lambda w: w.kind_only_here.kind),
    "surveys:invitation_resend_by_kind.pk": Entry(
        lambda w: w.kind_invitation.pk, parent="kind", sibling=lambda w: w.invitation.pk
    ),
    "fmt": Value("csv"),
    # Question sets: the cohort's own set; the other cohort's own set must be invisible.
    "surveys:question_set_detail.pk": Entry(lambda w: w.question_set.pk),
    "surveys:question_set_copy.pk": Entry(lambda w: w.question_set.pk),
    "surveys:question_update.pk": Entry(lambda w: w.question_set.pk),
    "question_pk": Entry(lambda w: w.question.pk, parent="pk", sibling=lambda w: w.other_set_question.pk),
    "set_pk": Entry(lambda w: w.als.pk),
    "meeting_pk": Entry(lambda w: w.meeting.pk, parent="set_pk", sibling=lambda w: w.other_set_meeting.pk),
    "action_pk": Entry(lambda w: w.action.pk, parent="set_pk", sibling=lambda w: w.other_set_action.pk),
    "project_pk": Entry(lambda w: w.project.pk),
    "measure_pk": Entry(lambda w: w.measure.pk, parent="project_pk", sibling=lambda w: w.other_project_measure.pk),
    "point_pk": Entry(lambda w: w.point.pk, parent="measure_pk", sibling=lambda w: w.other_measure_point.pk),
    "cycle_pk": Entry(lambda w: w.cycle.pk, parent="project_pk", sibling=lambda w: w.other_project_cycle.pk),
    "presentation_pk": Entry(lambda w: w.presentation.pk),
    "moment_pk": Entry(lambda w: w.moment.pk),
    "impact_pk": Entry(lambda w: w.key_impact.pk),
}


def registry_entry(url_name, kwarg):
    """The registry's entry for ``kwarg`` on ``url_name``; fails for a kwarg nobody registered."""
    for key in (f"{url_name}.{kwarg}", kwarg):
        if key in REGISTRY and (key != kwarg or kwarg not in AMBIGUOUS_KWARGS):
            return REGISTRY[key]
    raise LookupError(
        f"{url_name}: no registry entry fills the URL kwarg {kwarg!r}. Add one to tests/test_nested_objects.py "
        f"(key {kwarg!r}{'' if kwarg not in AMBIGUOUS_KWARGS else f', or {url_name}.{kwarg}'}), "
        "so that this URL is checked with another cohort's objects."
    )


def _names_an_object(url_name, kwarg):
    try:
        return not isinstance(registry_entry(url_name, kwarg), Value)
    except LookupError:  # unregistered: test_every_nested_url_is_checked fails on it
        return True


def nested_cohort_urls():
    """(URL name, kwarg names) of every URL with ``cohort_pk`` and at least one more kwarg that names
    an object (a cohort-wide download, ``export.<fmt>``, names none)."""
    return [
        (name, sorted(kwargs))
        for name, kwargs in _walk(get_resolver())
        if "cohort_pk" in kwargs and any(_names_an_object(name, k) for k in kwargs if k != "cohort_pk")
    ]


NESTED_URLS = nested_cohort_urls()


def _modules(cohort, numbers, participant, question_set):
    """Modules with a survey (one invitation) and a PDSA cycle (one act item) each."""
    made = {}
    for number in numbers:
        module = ModuleFactory(cohort=cohort, number=number)
        survey = SurveyFactory(module=module, question_set=question_set)
        made[number] = SimpleNamespace(
            module=module,
            invitation=InvitationFactory(survey=survey, membership=participant),
            act_item=ActItemFactory(cycle=PDSACycleFactory(module=module)),
        )
    return made


def _set_with_project(cohort, name):
    als = ActionLearningSetFactory(cohort=cohort, name=name)
    SetMembershipFactory(action_learning_set=als)
    meeting = SetMeeting.objects.create(action_learning_set=als, date=datetime.date(2026, 2, 2), notes="Private")
    action = SetAction.objects.create(action_learning_set=als, meeting=meeting, description="Ask the ward")
    project = ImprovementProjectFactory(action_learning_set=als)
    measure = MeasureFactory(project=project)
    second_measure = MeasureFactory(project=project)
    for each in (measure, second_measure):
        DataPoint.objects.create(measure=each, date=datetime.date(2026, 2, 2), value=decimal.Decimal(5))
    return SimpleNamespace(
        als=als,
        meeting=meeting,
        action=action,
        project=project,
        measure=measure,
        point=measure.data_points.get(),
        second_measure_point=second_measure.data_points.get(),
        cycle=ProjectPDSACycleFactory(project=project),
    )


def _kind_surveys(cohort, kinds, participant, question_set):
    """Evaluation surveys (no module) of these kinds, one invitation each."""
    made = {}
    for kind in kinds:
        survey = SurveyFactory(module=None, cohort=cohort, kind=kind, question_set=question_set)
        made[kind] = SimpleNamespace(survey=survey, invitation=InvitationFactory(survey=survey, membership=participant))
    return made


def _world(cohort, *, module_numbers, kinds):
    """One cohort's objects: everything a cohort URL can name, twice where a sibling parent is needed."""
    participant = MembershipFactory(cohort=cohort, person__user=UserFactory())
    question_set = question_set_copy(question_set=question_set_default(), name=f"{cohort.name} own", cohort=cohort)
    other_set = question_set_copy(question_set=question_set_default(), name=f"{cohort.name} other", cohort=cohort)
    modules = _modules(cohort, module_numbers, participant, question_set)
    kind_surveys = _kind_surveys(cohort, kinds, participant, question_set)
    first, second = _set_with_project(cohort, "Set A"), _set_with_project(cohort, "Set B")
    presentation = PresentationFactory(action_learning_set=first.als, project=first.project)
    presentation.slides.save("slides.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    presentation.slides_name = "slides.pdf"
    presentation.save()
    return SimpleNamespace(
        cohort=cohort,
        participant=participant,
        module=modules[1].module,
        module_only_here=modules[max(module_numbers)].module,
        act_item=modules[1].act_item,
        other_module_act_item=modules[2].act_item,
        invitation=modules[1].invitation,
        other_module_invitation=modules[2].invitation,
        kind_survey=kind_surveys[kinds[0]].survey,
        kind_only_here=kind_surveys[kinds[-1]].survey,
        kind_invitation=kind_surveys[kinds[0]].invitation,
        question_set=question_set,
        question=question_set.questions.get(code="usefulness"),
        other_set_question=other_set.questions.get(code="usefulness"),
        als=first.als,
        meeting=first.meeting,
        other_set_meeting=second.meeting,
        action=first.action,
        other_set_action=second.action,
        project=first.project,
        measure=first.measure,
        other_project_measure=second.measure,
        point=first.point,
        other_measure_point=first.second_measure_point,
        cycle=first.cycle,
        other_project_cycle=second.cycle,
        presentation=presentation,
        moment=PracticeMomentFactory(membership=participant),
        key_impact=key_impact_create(cohort=cohort, text=f"{cohort.name}: managers coach their staff"),
    )


@pytest.fixture
def worlds(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    home = CohortFactory(name="Tamar Vale Cohort 1")
    foreign = CohortFactory(programme=home.programme, name="Brackenmoor Cohort 1")
    # Module 3 only in the other cohort: its number is the foreign value of ``number``.
    # The follow-up only in the other cohort: its kind is the foreign value of ``kind``.
    return (
        _world(home, module_numbers=[1, 2], kinds=[Survey.Kind.SELF_PRE]),
        _world(foreign, module_numbers=[1, 2, 3], kinds=[Survey.Kind.SELF_PRE, Survey.Kind.FOLLOW_UP]),
    )


@pytest.fixture
def home_facilitator_client(worlds):
    home, _foreign = worlds
    user = MembershipFactory(cohort=home.cohort, role=Membership.Role.FACILITATOR, person__user=UserFactory())
    client = Client()
    client.force_login(user.person.user)
    return client


def _cases(url_name, kwarg_names, home, foreign):
    """(description, kwargs) pairs that must all answer 404, and the kwargs with the cohort's own objects."""
    entries = {k: registry_entry(url_name, k) for k in kwarg_names if k != "cohort_pk"}
    own = {"cohort_pk": home.cohort.pk}
    for kwarg, entry in entries.items():
        own[kwarg] = entry.value if isinstance(entry, Value) else entry.home(home)
    cases = []
    objects = {k: e for k, e in entries.items() if isinstance(e, Entry)}
    for kwarg, entry in objects.items():
        cases.append((f"{kwarg} of another cohort", {**own, kwarg: entry.foreign_value(foreign)}))
        if entry.parent in objects:
            cases.append((f"{kwarg} of another {entry.parent} in this cohort", {**own, kwarg: entry.sibling(home)}))
    if len(objects) > 1:
        cases.append(
            ("everything of another cohort", {**own, **{k: e.foreign_value(foreign) for k, e in objects.items()}})
        )
    return cases, own


def _answers(url, method):
    """Whether the URL's view implements ``method`` (a view that does not answers 405 whatever the ids)."""
    view_class = getattr(resolve(url).func, "view_class", None)
    return view_class is None or hasattr(view_class, method)


@pytest.mark.parametrize(("url_name", "kwarg_names"), NESTED_URLS, ids=[name for name, _k in NESTED_URLS])
def test_objects_of_another_cohort_or_parent_are_404(worlds, home_facilitator_client, url_name, kwarg_names):
    home, foreign = worlds
    cases, own = _cases(url_name, kwarg_names, home, foreign)
    assert cases, f"{url_name}: no object kwarg to check"
    own_url = reverse(url_name, kwargs=own)
    methods = [method for method in ("get", "post") if _answers(own_url, method)]
    assert methods, f"{url_name}: the view answers neither GET nor POST"
    for description, kwargs in cases:
        url = reverse(url_name, kwargs=kwargs)
        for method in ("get", "post"):
            response = getattr(home_facilitator_client, method)(url)
            # A method the view does not implement may answer 405 before any object is looked up.
            expected = {404} if method in methods else {404, 405}
            assert response.status_code in expected, (url_name, description, method, response.status_code)
    # The cohort's own objects reach the view: the 404s above came from the foreign objects.
    for method in methods:
        response = getattr(home_facilitator_client, method)(own_url)
        assert response.status_code not in (404, 405), (url_name, "own objects", method, response.status_code)


def _unnamed_cohort_patterns(resolver, prefix=""):
    """Patterns the walk (which goes by URL name) would miss."""
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.namespace != "admin":
                yield from _unnamed_cohort_patterns(entry, route)
        elif entry.name is None and "cohort_pk" in route:
            yield route


def test_every_nested_url_is_checked():
    assert list(_unnamed_cohort_patterns(get_resolver())) == [], "name these URLs, so that the walk checks them"
    names = {name for name, _kwargs in NESTED_URLS}
    assert len(names) >= 40, "the walk found too few nested cohort URLs: the test would check little"
    assert {"surveys:question_update", "projects:data_point_delete", "modules:act_item_toggle"} <= names
    for name, kwarg_names in NESTED_URLS:
        for kwarg in kwarg_names:
            if kwarg != "cohort_pk":
                registry_entry(name, kwarg)


def test_a_url_kwarg_nobody_registered_fails_the_test():
    with pytest.raises(LookupError, match="reflection_pk"):
        registry_entry("projects:reflection_update", "reflection_pk")
    # ``pk`` is only known per URL: a new URL with a ``pk`` needs its own entry.
    with pytest.raises(LookupError, match=r"surveys:reminder_detail\.pk"):
        registry_entry("surveys:reminder_detail", "pk")
    assert registry_entry("surveys:question_update", "pk") is REGISTRY["surveys:question_update.pk"]
