from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from cohorts.access import MEMBER
from common.forms import form_add_service_errors

from .. import selectors, services
from ..forms import (
    DataImportForm,
    DataPointForm,
    DriverDiagramForm,
    MeasureForm,
    PDSACycleForm,
    ProgressScoreForm,
    ProjectForm,
)
from ..models import ActionLearningSet, DataPoint, Measure, ProjectPDSACycle
from .base import FormPageView, ProjectEditMixin


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
        self.sets = ActionLearningSet.objects.for_cohort(request.cohort).editable_by(request.user)
        if not self.sets.exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "sets": self.sets}

    def get_success_url(self):
        return reverse("projects:project_list", kwargs={"cohort_pk": self.request.cohort.pk})

    def form_valid(self, form):
        project = form.save()
        messages.success(self.request, _("Project started. Next: the driver diagram and your measures."))
        return HttpResponseRedirect(_project_url(project))


class ProjectDetailView(TemplateView):
    cohort_access = MEMBER
    template_name = "projects/project_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        project = selectors.project_get(cohort=self.request.cohort, pk=self.kwargs["project_pk"])
        context.update(
            cohort=self.request.cohort,
            project=project,
            can_edit=selectors.project_is_editable_by(project=project, user=self.request.user),
        )
        return context


class ProjectUpdateView(ProjectEditMixin, FormPageView):
    form_class = ProjectForm
    page_title = _("Edit the project")

    def get_form_kwargs(self):
        sets = ActionLearningSet.objects.for_cohort(self.request.cohort).editable_by(self.request.user)
        return {**super().get_form_kwargs(), "sets": sets, "instance": self.project}

    def get_success_url(self):
        return _project_url(self.project)

    def form_valid(self, form):
        form.save()
        messages.success(self.request, _("Project saved."))
        return super().form_valid(form)


class ProgressScoreRecordView(ProjectEditMixin, FormPageView):
    form_class = ProgressScoreForm
    page_title = _("Record the progress score")

    def get_initial(self):
        return {"score": str(self.project.progress_score) if self.project.progress_score else ""}

    def get_success_url(self):
        return _project_url(self.project)

    def form_valid(self, form):
        try:
            services.progress_score_record(
                project=self.project,
                score=form.cleaned_data["score"],
                note=form.cleaned_data["note"],
                recorded_by=self.request.cohort_membership,
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Progress score recorded."))
        return super().form_valid(form)


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

    def form_valid(self, form):
        try:
            services.driver_diagram_replace(project=self.project, outline=form.cleaned_data["outline"])
        except ValidationError as error:
            form_add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Driver diagram saved."))
        return super().form_valid(form)


class MeasureFormView(ProjectEditMixin, FormPageView):
    form_class = MeasureForm
    page_title = _("Measure")

    def get_measure(self):
        if "measure_pk" in self.kwargs:
            return get_object_or_404(Measure, project=self.project, pk=self.kwargs["measure_pk"])
        return Measure(project=self.project)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.get_measure()}

    def get_success_url(self):
        return _project_url(self.project) + "#measures"

    def form_valid(self, form):
        measure = form.save()
        messages.success(self.request, _("Measure saved."))
        return HttpResponseRedirect(_measure_url(measure, self.project))


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
        return context


class MeasureEditMixin(ProjectEditMixin):
    def get_measure(self):
        return get_object_or_404(Measure, project=self.project, pk=self.kwargs["measure_pk"])

    def measure_page(self, **context):
        view = MeasureDetailView(request=self.request, kwargs=self.kwargs, args=())
        return view.render_to_response(view.get_context_data(**context))


class DataPointCreateView(MeasureEditMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        measure = self.get_measure()
        form = DataPointForm(request.POST, measure=measure)
        if not form.is_valid():
            return self.measure_page(point_form=form)
        form.save()
        messages.success(request, _("Data point added."))
        return HttpResponseRedirect(_measure_url(measure, self.project) + "#chart")


class DataPointsImportView(MeasureEditMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        measure = self.get_measure()
        form = DataImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = services.data_points_import(measure=measure, text=form.cleaned_data["text"])
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(
                    request,
                    _("Imported: %(c)s new data points, %(u)s updated.") % {"c": result.created, "u": result.updated},
                )
                return HttpResponseRedirect(_measure_url(measure, self.project) + "#chart")
        return self.measure_page(import_form=form)


class DataPointDeleteView(MeasureEditMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        measure = self.get_measure()
        point = get_object_or_404(DataPoint, measure=measure, pk=kwargs["point_pk"])
        point.delete()
        messages.success(request, _("Data point for %(date)s deleted.") % {"date": point.date})
        return HttpResponseRedirect(_measure_url(measure, self.project) + "#data")


class PDSACycleFormView(ProjectEditMixin, FormPageView):
    form_class = PDSACycleForm
    page_title = _("Project PDSA cycle")

    def get_cycle(self):
        if "cycle_pk" in self.kwargs:
            return get_object_or_404(ProjectPDSACycle, project=self.project, pk=self.kwargs["cycle_pk"])
        return None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "project": self.project, "instance": self.get_cycle()}

    def get_success_url(self):
        return _project_url(self.project) + "#pdsa"

    def form_valid(self, form):
        form.save()
        messages.success(self.request, _("PDSA cycle saved."))
        return super().form_valid(form)
