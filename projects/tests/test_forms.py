import pytest
from django.template import Context, Template

from cohorts.models import Membership
from cohorts.tests.factories import MembershipFactory
from projects import selectors
from projects.forms import SetAssignForm
from projects.models import ActionLearningSet

pytestmark = pytest.mark.django_db

# Each participant's options as the set assignment page drew them from the field until issue 14.
FIELD_OPTIONS = Template(
    '{% with current=field.value|stringformat:"s" %}{% for value, label in field.field.choices %}'
    '<option value="{{ value }}"{% if current == value|stringformat:"s" %} selected{% endif %}>{{ label }}</option>'
    "{% endfor %}{% endwith %}"
)


def _form(world, data=None):
    cohort = world["cohort"]
    return SetAssignForm(
        data,
        participants=selectors.set_participants_for_assignment(cohort=cohort),
        sets=list(ActionLearningSet.objects.for_cohort(cohort)),
    )


def _check_rows_match_field(form):
    rows = form.rows()
    assert [membership for membership, _field, _options in rows] == form.participants
    for _membership, field, options in rows:
        assert options == FIELD_OPTIONS.render(Context({"field": field}))
    return {membership.pk: options for membership, _field, options in rows}


def test_set_assign_rows_options_are_the_fields_own_with_each_set_selected(world):
    world["set_b"].name = "Set B <night shift>"
    world["set_b"].save()
    nobody = MembershipFactory(cohort=world["cohort"])

    options = _check_rows_match_field(_form(world))

    in_a = Membership.objects.get(person__user=world["member_a"]).pk
    in_b = Membership.objects.get(person__user=world["member_b"]).pk
    assert f'<option value="{world["set_a"].pk}" selected>Set A</option>' in options[in_a]
    assert f'<option value="{world["set_b"].pk}" selected>Set B &lt;night shift&gt;</option>' in options[in_b]
    assert '<option value="" selected>No set</option>' in options[nobody.pk]
    assert all(html.count(" selected") == 1 for html in options.values())


def test_set_assign_rows_options_show_what_was_posted(world):
    a, b = MembershipFactory.create_batch(2, cohort=world["cohort"])
    form = _form(world, {f"m{a.pk}": str(world["set_b"].pk), f"m{b.pk}": "999999"})

    assert not form.is_valid()
    options = _check_rows_match_field(form)

    assert f'<option value="{world["set_b"].pk}" selected>' in options[a.pk]
    assert " selected" not in options[b.pk]


# The set assignment page's rows as its template drew them until they were drawn once per process.
TEMPLATE_ROWS = Template(
    "{% for membership, field, options in form.rows %}"
    '<th scope="row"><label for="{{ field.id_for_label }}">{{ membership.person.full_name }}</label></th>'
    "<td>{{ membership.person.get_profession_display }}</td>"
    '<td>{{ membership.person.organisation|default:"" }}</td>'
    '<td><select name="{{ field.html_name }}" id="{{ field.id_for_label }}" class="form-select form-select-sm">'
    "{{ options }}</select></td>{% endfor %}"
)


def test_set_assign_table_rows_show_what_the_rows_show(world):
    MembershipFactory(cohort=world["cohort"], person__full_name="Ann <O'Neil>")
    form = _form(world)

    drawn = "".join(
        line.strip() for line in form.table_rows().splitlines() if "<tr>" not in line and "</tr>" not in line
    )

    assert drawn == TEMPLATE_ROWS.render(Context({"form": form}))
    assert "Ann &lt;O&#x27;Neil&gt;" in drawn


def test_set_assign_fields_each_keep_their_own_label_and_initial(world):
    form = _form(world)
    in_a = Membership.objects.get(person__user=world["member_a"])

    field = form.fields[f"m{in_a.pk}"]
    assert field.label == in_a.person.full_name
    assert field.initial == str(world["set_a"].pk)
    assert len({id(f) for f in form.fields.values()}) == len(form.participants)


def test_choose_from_shows_rows_when_drawn_and_checks_the_queryset_when_sent(world):
    from projects.forms import ProjectForm

    own = ActionLearningSet.objects.filter(pk=world["set_a"].pk)
    rows = [(world["set_a"].pk, "Set A")]

    drawn = ProjectForm(sets=lambda: 1 / 0, set_rows=rows)  # the queryset is not built for a form only drawn
    assert list(drawn.fields["action_learning_set"].choices) == rows
    assert f'value="{world["set_b"].pk}"' not in str(drawn["action_learning_set"])

    data = {"title": "T", "area": "care_pathway", "status": "idea", "action_learning_set": world["set_b"].pk}
    sent = ProjectForm(data, sets=lambda: own, set_rows=rows)
    assert not sent.is_valid()
    assert "action_learning_set" in sent.errors
