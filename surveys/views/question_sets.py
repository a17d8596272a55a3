"""Facilitators' question-set pages (ownership and copy-on-write: surveys.services.question_sets).

Sets are looked up only among those the cohort may see (``QuestionSet.objects.visible_to_cohort``):
another cohort's set, or another programme's, is a 404 like any object outside the cohort.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic.base import ContextMixin, TemplateResponseMixin

from common.drawn import drawn
from common.drawn_forms import empty_form_drawn
from common.forms import form_add_service_errors
from common.models import choice_label
from common.views import CohortPageMixin, ServiceFormView
from surveys import selectors, services
from surveys.forms import QuestionForm, QuestionSetCopyForm, QuestionSetCreateForm
from surveys.models import Question, QuestionSet


def _set_url(cohort_pk, question_set) -> str:
    return reverse("surveys:question_set_detail", kwargs={"cohort_pk": cohort_pk, "pk": question_set.pk})


def _question_set(request, pk) -> QuestionSet:
    """The set ``pk`` among those the cohort may see (404 otherwise), with its programme and cohort."""
    question_set = selectors.question_set_visible(cohort=request.cohort, pk=pk)
    if question_set is None:
        raise Http404
    return question_set


def _where_the_edit_went(before: QuestionSet, after: QuestionSet) -> str:
    """What to tell an editor whose change did not land in the set she edited ("" when it did)."""
    if after.slug != before.slug:
        return _(
            "“%(set)s” is shared with other cohorts, so your change was made in this cohort's own copy, "
            "“%(copy)s”. Where this cohort used the shared set, it now uses the copy."
        ) % {"set": before.name, "copy": after.name}
    if after.pk != before.pk:
        return _("People had already answered this set, so your change made version %(v)s.") % {"v": after.version}
    return ""


class QuestionEditMixin:
    """A question change lands in the set edited, its cohort copy or its next version: the message
    says which (at info level when it is not the set edited), and the page goes to that set."""

    def edited_set(self) -> QuestionSet:
        return self.result.question_set

    def get_success_message(self):
        notice = _where_the_edit_went(self.question_set, self.edited_set())
        if notice:
            messages.info(self.request, notice)
            return ""
        return self.success_message

    def get_success_url(self):
        return _set_url(self.request.cohort.pk, self.edited_set())


class QuestionSetListView(CohortPageMixin, ServiceFormView):
    template_name = "surveys/question_set_list.html"
    form_class = QuestionSetCreateForm
    success_message = gettext_lazy("Question set created; add its questions.")

    def get_context_data(self, **kwargs):
        question_sets = selectors.question_set_list(cohort=self.request.cohort)
        return super().get_context_data(question_sets=question_sets, **kwargs)

    def perform(self, form):
        return services.question_set_create(**form.cleaned_data, cohort=self.request.cohort)

    def get_success_url(self):
        return _set_url(self.request.cohort.pk, self.result)


QUESTIONS = "surveys/partials/_question_set_questions.html"


def question_set_questions_values(questions, *, cohort_pk: int, question_set) -> dict:
    """What the set's page shows of its questions, as plain values (``common.drawn`` keeps them drawn)."""
    return {
        "cohort_pk": cohort_pk,
        "set_pk": question_set.pk,
        "is_current": question_set.is_current,
        "questions": [
            {
                "pk": q.pk,
                "text": q.text,
                "required": q.required,
                "kind_label": choice_label(Question.Kind, q.kind),
                "code": q.code,
                "choices": [c.label for c in q.choices.all()],
                "max_choices": q.max_choices,
                "condition_code": q.condition_question.code if q.condition_question else "",
                "condition_value": q.condition_value,
            }
            for q in questions
        ],
    }


class QuestionSetPageMixin(CohortPageMixin):
    """The set's page, with its two forms: add a question, copy the set."""

    template_name = "surveys/question_set_detail.html"

    def dispatch(self, request, *args, **kwargs):
        self.question_set = _question_set(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        question_set = self.question_set
        kwargs.setdefault("copy_form", QuestionSetCopyForm(initial={"name": _("%s (copy)") % question_set.name}))
        context = super().get_context_data(
            question_set=question_set,
            questions_drawn=drawn(
                QUESTIONS,
                question_set_questions_values(
                    selectors.question_set_questions(question_set=question_set),
                    cohort_pk=self.request.cohort.pk,
                    question_set=question_set,
                ),
            ),
            locked=services.question_set_is_locked(question_set=question_set),
            editable=selectors.question_set_editable(
                user=self.request.user, cohort=self.request.cohort, question_set=question_set
            ),
            **kwargs,
        )
        context["copy_form_drawn"] = empty_form_drawn(context["copy_form"])
        if isinstance(context.get("form"), QuestionForm):
            context["form_drawn"] = empty_form_drawn(context["form"])
        return context


class QuestionSetDetailView(QuestionEditMixin, QuestionSetPageMixin, ServiceFormView):
    """The set and its questions; POST adds a question."""

    form_class = QuestionForm
    success_message = gettext_lazy("Question added.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "question_set": self.question_set}

    def perform(self, form):
        return services.question_create(
            question_set=self.question_set, user=self.request.user, cohort=self.request.cohort, **form.service_kwargs()
        )


class QuestionSetCopyView(QuestionSetPageMixin, TemplateResponseMixin, ContextMixin, View):
    """POST only: copy the set for this cohort. The set's page holds this second form, so an invalid
    name shows that page again (400) with the errors on the copy form, as ServiceFormView would."""

    def post(self, request, cohort_pk, pk):
        form = QuestionSetCopyForm(request.POST)
        if form.is_valid():
            try:
                copy = services.question_set_copy(
                    question_set=self.question_set, name=form.cleaned_data["name"], cohort=request.cohort
                )
            except ValidationError as error:
                form_add_service_errors(form, error)
            else:
                messages.success(request, _("A new question set was made; choose it in the cohort's survey settings."))
                return redirect(_set_url(cohort_pk, copy))
        context = self.get_context_data(form=QuestionForm(question_set=self.question_set), copy_form=form)
        return self.render_to_response(context, status=400)


class QuestionUpdateView(QuestionEditMixin, CohortPageMixin, ServiceFormView):
    """Change a question; its "move" and "delete" buttons post here too."""

    template_name = "surveys/question_update.html"
    form_class = QuestionForm
    success_message = gettext_lazy("Question saved.")

    def dispatch(self, request, *args, **kwargs):
        self.question_set = _question_set(request, kwargs["pk"])
        self.question = get_object_or_404(
            self.question_set.questions.select_related("condition_question").prefetch_related("choices"),
            pk=kwargs["question_pk"],
        )
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if "delete" in request.POST or "move" in request.POST:
            return self.move_or_delete(request)
        return super().post(request, *args, **kwargs)

    def move_or_delete(self, request):
        """The question's "move up/down" and "delete" buttons: one service call, then back to the set."""
        editor = {"user": request.user, "cohort": request.cohort}
        deleting = "delete" in request.POST
        try:
            if deleting:
                question_set = services.question_delete(question=self.question, **editor)
            else:
                question_set = services.question_move(question=self.question, up=request.POST["move"] == "up", **editor)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect(_set_url(request.cohort.pk, self.question_set))
        notice = _where_the_edit_went(self.question_set, question_set)
        if notice:
            messages.info(request, notice)
        else:
            messages.success(request, _("Question removed.") if deleting else _("Question moved."))
        return redirect(_set_url(request.cohort.pk, question_set))

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "question_set": self.question_set, "question": self.question}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(question=self.question, question_set=self.question_set, **kwargs)
        # The question as it is (not sent, no errors): drawn once per process for what it shows.
        context["form_drawn"] = empty_form_drawn(context["form"])
        return context

    def perform(self, form):
        return services.question_update(
            question=self.question, user=self.request.user, cohort=self.request.cohort, **form.service_kwargs()
        )
