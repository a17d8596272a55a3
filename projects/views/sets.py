from functools import partial

from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from cohorts.access import MEMBER
from common.drawn import drawn
from common.drawn_forms import empty_form_drawn

from .. import deletion_selectors, deletion_services, selectors, services
from ..forms import SetActionForm, SetAssignForm, SetForm, SetMeetingForm, SetReflectionsForm, SetSplitForm
from ..models import ActionLearningSet, SetAction
from .base import DeleteConfirmView, FormPageView, SetEditMixin


def _set_list_url(cohort):
    return reverse("projects:set_list", kwargs={"cohort_pk": cohort.pk})


def _set_url(action_learning_set):
    return reverse(
        "projects:set_detail", kwargs={"cohort_pk": action_learning_set.cohort_id, "set_pk": action_learning_set.pk}
    )


SET_CARDS = "projects/partials/_set_cards.html"


class SetListView(TemplateView):
    cohort_access = MEMBER
    template_name = "projects/set_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cohort = self.request.cohort
        membership = self.request.cohort_membership
        sets = [
            {
                "pk": listed.pk,
                "name": listed.name,
                "facilitator": listed.facilitator,
                "members": [name for _pk, name in listed.members],
                "projects": list(listed.projects),
                # The viewer's own set is marked.
                "mine": bool(membership) and any(pk == membership.pk for pk, _name in listed.members),
            }
            for listed in selectors.set_list_for_cohort(cohort=cohort)
        ]
        # The cards drawn once per process for what they show (common.drawn).
        context.update(cohort=cohort, set_cards=drawn(SET_CARDS, {"cohort_pk": cohort.pk, "sets": sets}))
        if self.request.is_cohort_facilitator:
            rows = selectors.set_facilitator_choice_rows(cohort=cohort)
            create_form, split_form = SetForm(cohort=cohort, facilitator_rows=rows), SetSplitForm()
            context.update(
                create_form=create_form,
                create_form_drawn=empty_form_drawn(create_form),
                split_form=split_form,
                split_form_drawn=empty_form_drawn(split_form),
                unassigned_count=selectors.set_unassigned_count(cohort=cohort),
            )
        return context


class SetCreateView(FormPageView):
    form_class = SetForm
    page_title = _("Add an action-learning set")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "cohort": self.request.cohort}

    def get_success_url(self):
        return _set_list_url(self.request.cohort)

    def perform(self, form):
        return services.set_create(
            cohort=self.request.cohort,
            name=form.cleaned_data["name"],
            set_facilitator=form.cleaned_data["set_facilitator"],
        )

    def get_success_message(self):
        return _("%(set)s added.") % {"set": self.result.name}


class SetSplitView(FormPageView):
    form_class = SetSplitForm
    page_title = _("Split participants into sets")

    def get_success_url(self):
        return reverse("projects:set_assign", kwargs={"cohort_pk": self.request.cohort.pk})

    success_message = _("Participants shared out. Check the sets and move anyone as needed.")

    def perform(self, form):
        return services.set_split_evenly(cohort=self.request.cohort, number_of_sets=form.cleaned_data["number_of_sets"])


class SetAssignView(FormPageView):
    """Everyone's set on one form: used to split a cohort by hand and to rebalance sets."""

    form_class = SetAssignForm
    template_name = "projects/set_assign.html"
    page_title = _("Who is in which set")
    draw_empty_form = False  # its template draws each row itself

    def get_form_kwargs(self):
        cohort = self.request.cohort
        return {
            **super().get_form_kwargs(),
            "participants": selectors.set_participants_for_assignment(cohort=cohort),
            "sets": list(ActionLearningSet.objects.for_cohort(cohort)),
        }

    def get_success_url(self):
        return _set_list_url(self.request.cohort)

    def perform(self, form):
        return services.set_members_assign(cohort=self.request.cohort, assignments=form.assignments())

    def get_success_message(self):
        return _("Sets saved: %(n)s participants moved.") % {"n": self.result}


class SetUpdateView(FormPageView):
    form_class = SetForm
    page_title = _("Edit set")

    def dispatch(self, request, *args, **kwargs):
        self.object = get_object_or_404(ActionLearningSet.objects.for_cohort(request.cohort), pk=kwargs["set_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "cohort": self.request.cohort, "instance": self.object}

    def get_success_url(self):
        return _set_url(self.object)

    success_message = _("Set saved.")

    def perform(self, form):
        return form.save()  # plain CRUD of one row: no service needed


class SetDeleteView(DeleteConfirmView):
    """Facilitators delete a set (as they make one); its members stay in the cohort, in no set."""

    page_title = _("Delete an action-learning set")
    confirm_label = _("Yes, delete this set and everything in it")
    success_message = _("Set deleted: %(name)s.")

    def get_object(self):
        return get_object_or_404(ActionLearningSet.objects.for_cohort(self.request.cohort), pk=self.kwargs["set_pk"])

    def describe(self, obj):
        return obj.name

    def impact(self, obj):
        return deletion_selectors.set_deletion_impact(action_learning_set=obj)

    def perform(self, obj):
        deletion_services.set_delete(action_learning_set=obj)

    def get_success_url(self):
        return _set_list_url(self.request.cohort)

    def get_cancel_url(self):
        return _set_url(self.get_object())


SET_MEETINGS = "projects/partials/_set_meetings.html"


class SetDetailView(TemplateView):
    cohort_access = MEMBER
    template_name = "projects/set_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = selectors.set_page(cohort=self.request.cohort, pk=self.kwargs["set_pk"], user=self.request.user)
        # Those who may read the set's private work are those who may change it (querysets.py).
        context.update(cohort=self.request.cohort, set=page.set, page=page, can_edit=page.private)
        if page.private:
            values = {"cohort_pk": self.request.cohort.pk, "set_pk": page.set.pk, "meetings": page.meetings}
            context["meetings"] = drawn(SET_MEETINGS, values)
        return context


class SetMeetingFormView(SetEditMixin, FormPageView):
    form_class = SetMeetingForm
    page_title = _("Record a set meeting")

    def get_meeting(self, *, with_attendees=False):
        if "meeting_pk" not in self.kwargs:
            return None
        return selectors.set_meeting_get(
            action_learning_set=self.action_learning_set, pk=self.kwargs["meeting_pk"], with_attendees=with_attendees
        )

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        cohort, the_set = self.request.cohort, self.action_learning_set
        people = partial(selectors.set_people_for_choice, cohort=cohort, action_learning_set=the_set)
        # The options, read only for a form that is drawn and not sent.
        sent = "data" in kwargs
        rows = None if sent else selectors.set_people_choice_rows(cohort=cohort, action_learning_set=the_set)
        return {**kwargs, "people": people, "people_rows": rows, "instance": self.get_meeting(with_attendees=True)}

    def get_success_url(self):
        return _set_url(self.action_learning_set)

    success_message = _("Meeting saved.")

    def perform(self, form):
        return services.set_meeting_record(
            action_learning_set=self.action_learning_set,
            meeting=self.get_meeting(),
            date=form.cleaned_data["date"],
            attendees=list(form.cleaned_data["attendees"]),
            notes=form.cleaned_data["notes"],
        )


class SetActionCreateView(SetEditMixin, FormPageView):
    form_class = SetActionForm
    page_title = _("Add an agreed action")

    def get_form_kwargs(self):
        people = selectors.cohort_members_for_choice(cohort=self.request.cohort)
        return {**super().get_form_kwargs(), "people": people}

    def get_success_url(self):
        return _set_url(self.action_learning_set)

    success_message = _("Action added.")

    def perform(self, form):
        return services.set_action_add(action_learning_set=self.action_learning_set, **form.cleaned_data)


class SetActionMarkView(SetEditMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        action = get_object_or_404(SetAction, action_learning_set=self.action_learning_set, pk=kwargs["action_pk"])
        services.set_action_mark(action=action, done=request.POST.get("done") == "1")
        return HttpResponseRedirect(_set_url(self.action_learning_set) + "#actions")


class SetReflectionsUpdateView(SetEditMixin, FormPageView):
    form_class = SetReflectionsForm
    page_title = _("The set's reflections")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.action_learning_set}

    def get_success_url(self):
        return _set_url(self.action_learning_set)

    success_message = _("Reflections saved.")

    def perform(self, form):
        return form.save()  # plain CRUD of one field
