from functools import partial

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from cohorts.access import MEMBER
from common.drawn import drawn
from common.drawn_forms import empty_form_drawn
from common.views import ServiceFormPostView

from .. import deletion_selectors, deletion_services, selectors, services
from ..forms import (
    DataImportForm,
    DataPointForm,
    DriverDiagramForm,
    MeasureForm,
    PDSACycleForm,
    ProgressScoreForm,
    ProjectForm,
)
from ..models import ActionLearningSet, DataPoint, DriverNode, Measure
from .base import DeleteConfirmView, FormPageView, ProjectEditMixin


def _project_url(project):
    return reverse(
        "projects:project_detail",
        kwargs={"cohort_pk": project.action_learning_set.cohort_id, "project_pk": project.pk},
    )


def _measure_url(measure, project):
    return reverse(
        "projects:measure_detail",
        kwargs={"cohort_pk": project.action_learning_set.cohort_id, "project_pk": project.pk, "measure_pk": measure.pk},
    )


def _sets_editable(cohort, user):
    return ActionLearningSet.objects.for_cohort(cohort).editable_by(user)


class ProjectListView(TemplateView):
    cohort_access = MEMBER
    template_name = "projects/project_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cohort = self.request.cohort
        context.update(
            cohort=cohort,
            projects=selectors.project_list_for_cohort(cohort=cohort),
            can_add=ActionLearningSet.objects.for_cohort(cohort).editable_by(self.request.user).exists(),
        )
        return context


class ProjectCreateView(FormPageView):
    cohort_access = MEMBER
    form_class = ProjectForm
    page_title = _("Start an improvement project")

    def dispatch(self, request, *args, **kwargs):
        self.set_rows = selectors.set_choices_editable_by(cohort=request.cohort, user=request.user)
        if not self.set_rows:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        sets = partial(_sets_editable, self.request.cohort, self.request.user)
        return {**super().get_form_kwargs(), "sets": sets, "set_rows": self.set_rows}

    success_message = _("Project started. Next: the driver diagram and your measures.")

    def get_cancel_url(self):
        return reverse("projects:project_list", kwargs={"cohort_pk": self.request.cohort.pk})

    def perform(self, form):
        return form.save()  # plain CRUD of one row

    def get_success_url(self):
        return _project_url(self.result)


DRIVER_DIAGRAM = "projects/partials/_driver_diagram.html"
PDSA_LIST = "projects/partials/_pdsa_list.html"


def _driver_items(tree, labels=None) -> list[dict]:
    # Each kind's label translated once a page, not once a node.
    labels = labels or {value: str(label) for value, label in DriverNode.Kind.choices}
    return [
        {
            "kind": item["node"].kind,
            "kind_label": labels.get(item["node"].kind, item["node"].kind),
            "text": item["node"].text,
            "children": _driver_items(item["children"], labels),
        }
        for item in tree
    ]


def _cycle_values(cycle) -> dict:
    return {
        "pk": cycle.pk,
        "title": cycle.title,
        "act": cycle.act,
        "act_label": str(cycle.get_act_display()),
        "start_date": cycle.start_date,
        "end_date": cycle.end_date,
        "has_change_idea": cycle.change_idea is not None,
        "change_idea": cycle.change_idea.text if cycle.change_idea is not None else "",
        "plan": cycle.plan,
        "prediction": cycle.prediction,
        "do": cycle.do,
        "study": cycle.study,
        "measures": [measure.name for measure in cycle.measures.all()],
        "act_notes": cycle.act_notes,
    }


class ProjectDetailView(TemplateView):
    cohort_access = MEMBER
    template_name = "projects/project_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cohort = self.request.cohort
        project = selectors.project_get(cohort=cohort, pk=self.kwargs["project_pk"], user=self.request.user)
        can_edit = project.can_edit
        # The driver diagram and the PDSA cycles drawn once per process for what they show (common.drawn).
        tree = {"aim": project.aim, "title": project.title, "tree": _driver_items(project.driver_tree)}
        cycles = [_cycle_values(cycle) for cycle in project.pdsa_cycles.all()]
        pdsa = {"cohort_pk": cohort.pk, "project_pk": project.pk, "can_edit": can_edit, "cycles": cycles}
        context.update(
            cohort=cohort,
            project=project,
            can_edit=can_edit,
            driver_diagram=drawn(DRIVER_DIAGRAM, tree),
            pdsa_list=drawn(PDSA_LIST, pdsa),
        )
        return context


class ProjectUpdateView(ProjectEditMixin, FormPageView):
    form_class = ProjectForm
    page_title = _("Edit the project")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        cohort, user = self.request.cohort, self.request.user
        sets = partial(_sets_editable, cohort, user)
        # The options, read only for a form that is drawn and not sent.
        rows = None if "data" in kwargs else selectors.set_choices_editable_by(cohort=cohort, user=user)
        return {**kwargs, "sets": sets, "set_rows": rows, "instance": self.project}

    def get_success_url(self):
        return _project_url(self.project)

    success_message = _("Project saved.")

    def perform(self, form):
        fields = {name: form.cleaned_data[name] for name in ProjectForm.Meta.fields}
        return services.project_update(project=self.project, seen_version=form.cleaned_data["version"], **fields)

    def reload(self):
        self.project.refresh_from_db()


class ProgressScoreRecordView(ProjectEditMixin, FormPageView):
    form_class = ProgressScoreForm
    page_title = _("Record the progress score")

    def get_initial(self):
        return {"score": str(self.project.progress_score) if self.project.progress_score else ""}

    def get_success_url(self):
        return _project_url(self.project)

    success_message = _("Progress score recorded.")

    def perform(self, form):
        return services.progress_score_record(
            project=self.project,
            score=form.cleaned_data["score"],
            note=form.cleaned_data["note"],
            recorded_by=self.request.cohort_membership,
        )


class DriverDiagramUpdateView(ProjectEditMixin, FormPageView):
    form_class = DriverDiagramForm
    page_title = _("Edit the driver diagram")
    template_name = "projects/driver_diagram_form.html"

    def get_initial(self):
        return {"outline": selectors.driver_outline(self.project.driver_nodes.all())}

    def get_success_url(self):
        return _project_url(self.project) + "#driver-diagram"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "project": self.project}

    success_message = _("Driver diagram saved.")

    def perform(self, form):
        return services.driver_diagram_replace(project=self.project, outline=form.cleaned_data["outline"])


class MeasureFormView(ProjectEditMixin, FormPageView):
    form_class = MeasureForm
    page_title = _("Measure")

    def get_measure(self):
        if "measure_pk" in self.kwargs:
            return get_object_or_404(Measure, project=self.project, pk=self.kwargs["measure_pk"])
        return Measure(project=self.project)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.get_measure()}

    success_message = _("Measure saved.")

    def get_cancel_url(self):
        return _project_url(self.project) + "#measures"

    def perform(self, form):
        return form.save()  # plain CRUD of one row

    def get_success_url(self):
        return _measure_url(self.result, self.project)


class MeasureDetailView(TemplateView):
    """The run chart of one measure, its data table, and (for the set) data entry."""

    cohort_access = MEMBER
    template_name = "projects/measure_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        measure = selectors.measure_get(
            cohort=self.request.cohort, project_pk=self.kwargs["project_pk"], pk=self.kwargs["measure_pk"]
        )
        can_edit = selectors.project_is_editable_by(project=measure.project, user=self.request.user)
        context.update(cohort=self.request.cohort, measure=measure, project=measure.project, can_edit=can_edit)
        if can_edit:
            context.setdefault("point_form", DataPointForm(measure=measure))
            context.setdefault("import_form", DataImportForm())
            # Each form not sent back with errors is drawn once per process for what it shows.
            context["point_form_drawn"] = empty_form_drawn(context["point_form"])
            context["import_form_drawn"] = empty_form_drawn(context["import_form"])
        return context


class MeasureEditMixin(ProjectEditMixin):
    def get_measure(self):
        return get_object_or_404(Measure, project=self.project, pk=self.kwargs["measure_pk"])


class MeasureFormPostView(MeasureEditMixin, ServiceFormPostView):
    """A form on the measure page (data entry): success goes back to the chart; a refused form shows
    the measure page again with the form's errors (status 400)."""

    form_context_name = ""

    def post(self, request, *args, **kwargs):
        self.measure = self.get_measure()
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        view = MeasureDetailView(request=self.request, kwargs=self.kwargs, args=())
        return view.render_to_response(view.get_context_data(**{self.form_context_name: form}), status=400)

    def get_success_url(self):
        return _measure_url(self.measure, self.project) + "#chart"


class DataPointCreateView(MeasureFormPostView):
    form_class = DataPointForm
    form_context_name = "point_form"
    success_message = _("Data point added.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "measure": self.measure}

    def perform(self, form):
        return form.save()  # plain CRUD of one row


class DataPointsImportView(MeasureFormPostView):
    form_class = DataImportForm
    form_context_name = "import_form"

    def perform(self, form):
        return services.data_points_import(measure=self.measure, text=form.cleaned_data["text"])

    def get_success_message(self):
        result = self.result
        return _("Imported: %(c)s new data points, %(u)s updated.") % {"c": result.created, "u": result.updated}


class DataPointUpdateView(MeasureEditMixin, FormPageView):
    """Change a data point in place: the same form, and the same checks, as adding one."""

    form_class = DataPointForm
    page_title = _("Edit a data point")
    submit_label = _("Save data point")

    def get_point(self):
        if not hasattr(self, "point"):
            self.measure = self.get_measure()
            self.point = get_object_or_404(DataPoint, measure=self.measure, pk=self.kwargs["point_pk"])
        return self.point

    def get_form_kwargs(self):
        point = self.get_point()
        return {**super().get_form_kwargs(), "measure": self.measure, "instance": point}

    def get_context_data(self, **kwargs):
        self.get_point()
        return super().get_context_data(project=self.project, measure=self.measure, **kwargs)

    def get_success_message(self):
        return _("Data point for %(date)s saved.") % {"date": date_format(self.result.date, "j M Y")}

    def perform(self, form):
        return form.save()  # plain CRUD of one row

    def get_success_url(self):
        return _measure_url(self.get_point().measure, self.project) + "#data"


class DataPointDeleteView(MeasureEditMixin, DeleteConfirmView):
    page_title = _("Delete a data point")
    confirm_label = _("Yes, delete this data point")
    success_message = _("Data point deleted: %(name)s.")

    def get_object(self):
        self.measure = self.get_measure()
        return get_object_or_404(DataPoint, measure=self.measure, pk=self.kwargs["point_pk"])

    def describe(self, obj):
        return _("%(date)s: %(value)s in “%(measure)s”") % {
            "date": date_format(obj.date, "j M Y"),
            "value": floatformat(obj.value, "-3"),
            "measure": self.measure.name,
        }

    def impact(self, obj):
        return deletion_selectors.data_point_deletion_impact(point=obj)

    def perform(self, obj):
        deletion_services.data_point_delete(point=obj)

    def get_success_url(self):
        return _measure_url(self.measure, self.project) + "#data"

    def get_cancel_url(self):
        return self.get_success_url()


class MeasureDeleteView(MeasureEditMixin, DeleteConfirmView):
    page_title = _("Delete a measure")
    confirm_label = _("Yes, delete this measure")
    success_message = _("Measure deleted: %(name)s.")

    def get_object(self):
        self.measure = self.get_measure()
        return self.measure

    def describe(self, obj):
        return obj.name

    def impact(self, obj):
        return deletion_selectors.measure_deletion_impact(measure=obj)

    def perform(self, obj):
        deletion_services.measure_delete(measure=obj)

    def get_success_url(self):
        return _project_url(self.project) + "#measures"

    def get_cancel_url(self):
        return _measure_url(self.measure, self.project)


class ProjectDeleteView(ProjectEditMixin, DeleteConfirmView):
    page_title = _("Delete a project")
    confirm_label = _("Yes, delete this project")
    success_message = _("Project deleted: %(name)s.")

    def get_object(self):
        return self.project

    def describe(self, obj):
        return obj.title

    def impact(self, obj):
        return deletion_selectors.project_deletion_impact(project=obj)

    def perform(self, obj):
        deletion_services.project_delete(project=obj)

    def get_success_url(self):
        return reverse("projects:project_list", kwargs={"cohort_pk": self.request.cohort.pk})

    def get_cancel_url(self):
        return _project_url(self.project)


class PDSACycleFormView(ProjectEditMixin, FormPageView):
    form_class = PDSACycleForm
    page_title = _("Project PDSA cycle")

    def get_cycle(self):
        if "cycle_pk" in self.kwargs:
            return selectors.pdsa_cycle_get(project=self.project, pk=self.kwargs["cycle_pk"])
        return None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        # The options, read only for a form that is drawn and not sent.
        rows = None if "data" in kwargs else selectors.pdsa_cycle_choice_rows(project=self.project)
        return {**kwargs, "project": self.project, "choice_rows": rows, "instance": self.get_cycle()}

    def get_success_url(self):
        return _project_url(self.project) + "#pdsa"

    success_message = _("PDSA cycle saved.")

    def perform(self, form):
        if form.instance.pk is None:
            return form.save()  # a new cycle and its measures: plain CRUD
        data = form.cleaned_data
        fields = {name: data[name] for name in PDSACycleForm.Meta.fields if name != "measures"}
        return services.project_pdsa_cycle_update(
            cycle=form.instance, seen_version=data["version"], measures=data["measures"], **fields
        )
