import pytest
from django.template import Context, Template

from modules.forms import AttendanceRegisterForm
from modules.selectors import RegisterRow

pytestmark = pytest.mark.django_db

# The register's buttons as the module page drew them from the widget's own options until issue 14.
WIDGET_BUTTONS = Template(
    """{% for choice in field %}
          <input type="radio" class="btn-check" name="{{ choice.data.name }}" id="{{ choice.id_for_label }}" value="{{ choice.data.value }}"{% if choice.data.selected %} checked{% endif %} autocomplete="off">
          <label class="btn btn-outline-{% cycle 'success' 'primary' 'danger' 'secondary' %}" for="{{ choice.id_for_label }}">{{ choice.choice_label }}</label>
          {% endfor %}"""  # noqa: E501
)


def _register(participants, statuses):
    return [RegisterRow(membership=m, status=s) for m, s in zip(participants, statuses, strict=True)]


def _check_rows_match_widget(form):
    rows = form.register_rows()
    assert len(rows) == len(form.rows)
    for row, field, buttons in rows:
        assert field.name == f"status_{row.membership.pk}"
        assert buttons.strip() == WIDGET_BUTTONS.render(Context({"field": field})).strip()
    return rows


def test_register_rows_buttons_are_the_widgets_own_for_each_mark(participants):
    form = AttendanceRegisterForm(register=_register(participants, ["present", "absent", None]))

    rows = _check_rows_match_widget(form)

    first, second, third = (buttons for _row, _field, buttons in rows)
    a, b, c = (m.pk for m in participants)
    assert f'name="status_{a}" id="id_status_{a}_0" value="present" checked autocomplete="off">' in first
    assert f'name="status_{b}" id="id_status_{b}_2" value="absent" checked' in second
    assert f'name="status_{c}" id="id_status_{c}_3" value="not_recorded" checked' in third
    assert f'for="id_status_{c}_1">Apologies</label>' in third
    assert second.count(" checked") == 1
    assert f'status_{a}"' not in second


def test_register_rows_buttons_show_what_was_posted_even_when_refused(participants):
    a, b, c = participants
    data = {f"status_{a.pk}": "apologies", f"status_{b.pk}": "late"}  # nothing posted for c
    form = AttendanceRegisterForm(data, register=_register(participants, ["present", "present", "absent"]))

    assert not form.is_valid()
    rows = _check_rows_match_widget(form)

    buttons = {row.membership.pk: html for row, _field, html in rows}
    assert 'value="apologies" checked' in buttons[a.pk]
    assert " checked" not in buttons[b.pk]
    assert " checked" not in buttons[c.pk]


def test_register_rows_withdrawn_people_are_read_only(participants):
    a, b, c = participants
    a.status, a.withdrawn_on = "withdrawn", a.created_at.date()

    rows = AttendanceRegisterForm(register=_register(participants, ["present", None, None])).register_rows()

    assert rows[0] == (rows[0][0], None, None)
    assert rows[0][0].membership == a
    assert [field.name for _row, field, _html in rows[1:]] == [f"status_{b.pk}", f"status_{c.pk}"]


@pytest.mark.parametrize(
    "form_kwargs",
    [
        {},  # not sent: each field's initial value, without a bound field per row
        {"initial": {}},
        {"data": {}},  # sent with nothing: every button unchecked
    ],
)
def test_register_values_buttons_and_errors_are_the_bound_fields(participants, form_kwargs):
    statuses = ["present", "apologies", None]
    form = AttendanceRegisterForm(register=_register(participants, statuses), **form_kwargs)
    expected = _check_rows_match_widget(form)

    values = form.register_values()

    assert [v["buttons"] for v in values] == [buttons for _row, _field, buttons in expected]
    assert [v["errors"] for v in values] == [[str(e) for e in field.errors] for _row, field, _buttons in expected]


def test_register_values_show_a_posted_mark_and_its_error(participants):
    a, b, c = (m.pk for m in participants)
    data = {f"status_{a}": "absent", f"status_{b}": "nonsense", f"status_{c}": "not_recorded", "version": "x"}
    form = AttendanceRegisterForm(register=_register(participants, ["present", None, None]), data=data)
    form.is_valid()

    first, second, third = form.register_values()

    assert f'name="status_{a}" id="id_status_{a}_2" value="absent" checked' in first["buttons"]
    assert second["errors"]
    assert "checked" not in second["buttons"]
    assert 'value="not_recorded" checked' in third["buttons"]
