"""Admin inlines whose autocomplete and raw-id widgets read every row's selected object in one query.

Django's ``AutocompleteSelect`` and ``ForeignKeyRawIdWidget`` each look up their selected object when
they are drawn, so an inline of a 120-member cohort makes 120 queries (and a raw-id label's
``__str__`` may add more per row). Here the formset gathers the values of all its rows and gives
each row's widget one shared lookup that runs a single query the first time a row is drawn: none
when the formset is only validated and saved. The widgets draw exactly what Django's draw.

Use ``SelectedObjectsInlineMixin`` before ``admin.TabularInline``/``StackedInline``; a raw-id field
whose object's ``__str__`` follows relations names them in ``raw_id_select_related``.
"""

from typing import Any, ClassVar

from django import forms
from django.contrib.admin import widgets as admin_widgets
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.utils.text import Truncator


class SelectedObjects:
    """The objects that the rows of one formset have selected in one field, read in one query on first use."""

    def __init__(self, queryset, target_field, values):
        self.queryset = queryset
        self.key = target_field.attname
        self.values = set()
        for value in values:
            if value in target_field.empty_values:
                continue
            try:
                self.values.add(target_field.to_python(value))
            except ValidationError:  # typed into a raw-id box: Django's widget shows no label either
                continue

    @cached_property
    def _by_value(self) -> dict[str, Any]:
        if not self.values:
            return {}
        found = self.queryset.filter(**{f"{self.key}__in": self.values})
        return {str(getattr(obj, self.key)): obj for obj in found}

    def get(self, value):
        return self._by_value.get(str(value))


class SelectedObjectsAutocompleteSelect(admin_widgets.AutocompleteSelect):
    """Django's autocomplete select, drawing its selected option from the formset's ``SelectedObjects``."""

    selected: SelectedObjects | None = None

    def selected_objects(self, values) -> SelectedObjects:
        remote = self.field.remote_field
        target = remote.model._meta.get_field(remote.field_name)
        return SelectedObjects(self.choices.queryset.using(self.db), target, values)

    def optgroups(self, name, value, attr=None):
        if self.selected is None:  # drawn outside a SelectedObjectsFormSet (e.g. the empty form)
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required:
            options.append(self.create_option(name, "", "", False, 0))
        field = self.choices.field
        for key in dict.fromkeys(str(v) for v in value if str(v) not in field.empty_values):
            obj = self.selected.get(key)
            if obj is not None:
                option_value = getattr(obj, self.selected.key)
                label = field.label_from_instance(obj)
                options.append(self.create_option(name, option_value, label, True, len(options)))
        return [(None, options, 0)]


class SelectedObjectsRawIdWidget(admin_widgets.ForeignKeyRawIdWidget):
    """Django's raw-id box, naming its object from the formset's ``SelectedObjects``."""

    selected: SelectedObjects | None = None

    def __init__(self, rel, admin_site, attrs=None, using=None, select_related=()):
        super().__init__(rel, admin_site, attrs, using)
        self.select_related = tuple(select_related)

    def selected_objects(self, values) -> SelectedObjects:
        queryset = self.rel.model._default_manager.using(self.db).select_related(*self.select_related)
        return SelectedObjects(queryset, self.rel.get_related_field(), values)

    def label_and_url_for_value(self, value):
        if self.selected is None:
            return super().label_and_url_for_value(value)
        obj = self.selected.get(value)
        if obj is None:
            return "", ""
        opts = obj._meta
        try:
            url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=(obj.pk,))
        except NoReverseMatch:  # the related model has no admin
            url = ""
        return Truncator(obj).words(14), url


SHARED_LOOKUP_WIDGETS = (SelectedObjectsAutocompleteSelect, SelectedObjectsRawIdWidget)


def _inner_widget(widget):
    return widget.widget if isinstance(widget, admin_widgets.RelatedFieldWidgetWrapper) else widget


class SelectedObjectsFormSet(forms.BaseInlineFormSet):
    """Gives the rows' autocomplete and raw-id widgets of each field one shared lookup."""

    @cached_property
    def forms(self):
        forms = super().forms
        rows: dict[str, list] = {}
        for form in forms:
            for name, field in form.fields.items():
                widget = _inner_widget(field.widget)
                if isinstance(widget, SHARED_LOOKUP_WIDGETS):
                    rows.setdefault(name, []).append((form[name].value(), widget))
        for widgets in rows.values():
            selected = widgets[0][1].selected_objects([value for value, _widget in widgets])
            for _value, widget in widgets:
                widget.selected = selected
        return forms


class SelectedObjectsInlineMixin:
    """An inline whose ``autocomplete_fields`` and ``raw_id_fields`` read their rows' objects in one query."""

    formset = SelectedObjectsFormSet
    # {raw-id field: select_related paths} where the related object's __str__ follows relations.
    raw_id_select_related: ClassVar[dict[str, tuple[str, ...]]] = {}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs:
            using = kwargs.get("using")
            if db_field.name in self.get_autocomplete_fields(request):
                kwargs["widget"] = SelectedObjectsAutocompleteSelect(db_field, self.admin_site, using=using)
            elif db_field.name in self.raw_id_fields:
                kwargs["widget"] = SelectedObjectsRawIdWidget(
                    db_field.remote_field,
                    self.admin_site,
                    using=using,
                    select_related=self.raw_id_select_related.get(db_field.name, ()),
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
