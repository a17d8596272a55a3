"""Pages of the practice log: a participant's own log, their set's shared reflections, and the
counts facilitators see. Who may open a page is checked by CohortAccessMiddleware (``cohort_access``);
whose moments a page may touch is checked here: only the participant's own."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from cohorts.access import FACILITATOR, MEMBER
from cohorts.models import Membership
from common.drawn import drawn
from common.drawn_forms import empty_form_drawn
from common.views import ServiceFormView

from . import selectors, services
from .forms import PracticeMomentForm, PracticeNudgesForm


def _list_url(cohort):
    return reverse("evaluation:practice_moment_list", kwargs={"cohort_pk": cohort.pk})


class ParticipantMixin:
    """Pages of a participant's own log.

    A moment of another cohort is a 404 for everyone. The log belongs to the participants, so the
    cohort's facilitators and staff (who see the counts) get a 403, and a participant asking for
    someone else's moment gets a 404, as if it did not exist.
    """

    cohort_access = MEMBER
    moment = None

    def dispatch(self, request, *args, **kwargs):
        if "moment_pk" in kwargs:
            self.moment = selectors.practice_moment_get(cohort=request.cohort, pk=kwargs["moment_pk"])
        membership = request.cohort_membership
        if membership is None or membership.role != Membership.Role.PARTICIPANT:
            raise PermissionDenied
        if self.moment is not None and self.moment.membership_id != membership.pk:
            raise Http404
        self.membership = membership
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(cohort=self.request.cohort, **kwargs)


class PracticeMomentListView(ParticipantMixin, TemplateView):
    template_name = "evaluation/practice_moment_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            moments=selectors.practice_moments_of(membership=self.membership),
            nudges_on=selectors.practice_nudges_are_on(membership=self.membership),
            **kwargs,
        )


class PracticeMomentFormMixin(ParticipantMixin):
    form_class = PracticeMomentForm
    template_name = "evaluation/practice_moment_form.html"

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "cohort": self.request.cohort,
            "action_learning_set": selectors.practice_set_of(membership=self.membership),
            "moment": self.moment,
        }

    def get_success_url(self):
        return _list_url(self.request.cohort)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(moment=self.moment, **kwargs)
        # An empty form (one not sent back with errors) is drawn once per process for what it shows.
        context["form_drawn"] = empty_form_drawn(context["form"])
        return context


class PracticeMomentCreateView(PracticeMomentFormMixin, ServiceFormView):
    success_message = _("Practice moment logged. Thank you.")

    def perform(self, form):
        return services.practice_moment_create(
            cohort=self.request.cohort, membership=self.membership, **form.service_arguments()
        )


class PracticeMomentUpdateView(PracticeMomentFormMixin, ServiceFormView):
    success_message = _("Practice moment saved.")

    def perform(self, form):
        return services.practice_moment_update(
            moment=self.moment, membership=self.membership, **form.service_arguments()
        )


class PracticeMomentDeleteView(ParticipantMixin, TemplateView):
    """GET asks for confirmation; only the POST deletes."""

    template_name = "evaluation/practice_moment_delete.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(moment=self.moment, **kwargs)

    def post(self, request, *args, **kwargs):
        services.practice_moment_delete(moment=self.moment, membership=self.membership)
        messages.success(request, _("Practice moment deleted."))
        return redirect(_list_url(request.cohort))


class PracticeNudgesUpdateView(ParticipantMixin, ServiceFormView):
    form_class = PracticeNudgesForm
    template_name = "evaluation/practice_nudges_update.html"

    def get_initial(self):
        return {"nudges": "on" if selectors.practice_nudges_are_on(membership=self.membership) else "off"}

    def perform(self, form):
        return services.practice_nudges_set(membership=self.membership, on=form.nudges_on)

    def get_success_message(self):
        if self.result.nudges_on:
            return _("Monthly reminders are on.")
        return _("Monthly reminders are off. You can switch them on again here.")

    def get_success_url(self):
        return _list_url(self.request.cohort)


SET_REFLECTIONS = "evaluation/partials/_set_reflections.html"


def set_reflections_values(sets, *, membership) -> dict:
    """What the set reflections page shows of each set, as plain values (``common.drawn`` keeps them
    drawn under them): the viewer's own moments are marked."""
    return {
        "sets": [
            {
                "pk": entry.action_learning_set.pk,
                "name": entry.action_learning_set.name,
                "moments": [
                    {
                        "name": m.membership.person.full_name,
                        "you": membership is not None and m.membership_id == membership.pk,
                        "method_label": m.get_method_display(),
                        "date": m.date,
                        "with_whom_label": m.get_with_whom_display(),
                        "reflection": m.reflection,
                    }
                    for m in entry.moments
                ],
            }
            for entry in sets
        ]
    }


class PracticeSetReflectionsView(TemplateView):
    """Moments shared with a set: for its members and its set facilitator only."""

    cohort_access = MEMBER
    template_name = "evaluation/practice_set_reflections.html"

    def get_context_data(self, **kwargs):
        membership = self.request.cohort_membership
        sets = selectors.practice_set_reflections(membership=membership)
        return super().get_context_data(
            cohort=self.request.cohort,
            membership=membership,
            sets=sets,
            sets_drawn=drawn(SET_REFLECTIONS, set_reflections_values(sets, membership=membership)),
            **kwargs,
        )


class PracticeSummaryView(TemplateView):
    """Counts only, for the cohort's facilitators and staff."""

    cohort_access = FACILITATOR
    template_name = "evaluation/practice_summary.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            cohort=self.request.cohort, summary=selectors.practice_summary(cohort=self.request.cohort), **kwargs
        )
