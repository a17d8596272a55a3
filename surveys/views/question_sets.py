"""Facilitators' question-set editing (copy-on-write, see surveys.services.question_sets)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from common.forms import form_add_service_errors
from surveys import selectors, services
from surveys.forms import QuestionForm, QuestionSetCopyForm, QuestionSetCreateForm
from surveys.models import QuestionSet


def _set_url(cohort_pk, question_set):
    return redirect("surveys:question_set_detail", cohort_pk=cohort_pk, pk=question_set.pk)


class QuestionSetListView(View):
    template_name = "surveys/question_set_list.html"

    def get(self, request, cohort_pk, form=None, status=200):
        context = {
            "cohort": request.cohort,
            "question_sets": selectors.question_set_list(),
            "form": form or QuestionSetCreateForm(),
        }
        return render(request, self.template_name, context, status=status)

    def post(self, request, cohort_pk):
        form = QuestionSetCreateForm(request.POST)
        if not form.is_valid():
            return self.get(request, cohort_pk, form=form, status=400)
        question_set = services.question_set_create(**form.cleaned_data)
        messages.success(request, _("Question set created; add its questions."))
        return _set_url(cohort_pk, question_set)


class QuestionSetDetailView(View):
    template_name = "surveys/question_set_detail.html"

    def get(self, request, cohort_pk, pk, form=None, copy_form=None, status=200):
        question_set = get_object_or_404(QuestionSet, pk=pk)
        context = {
            "cohort": request.cohort,
            "question_set": question_set,
            "questions": selectors.question_set_detail(question_set=question_set),
            "locked": services.question_set_is_locked(question_set=question_set),
            "form": form or QuestionForm(question_set=question_set),
            "copy_form": copy_form or QuestionSetCopyForm(initial={"name": _("%s (copy)") % question_set.name}),
        }
        return render(request, self.template_name, context, status=status)

    def post(self, request, cohort_pk, pk):
        """Add a question."""
        question_set = get_object_or_404(QuestionSet, pk=pk)
        form = QuestionForm(request.POST, question_set=question_set)
        if form.is_valid():
            try:
                question = services.question_create(question_set=question_set, **form.service_kwargs())
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("Question added."))
                return _set_url(cohort_pk, question.question_set)
        return self.get(request, cohort_pk, pk, form=form, status=400)


class QuestionSetCopyView(View):
    def post(self, request, cohort_pk, pk):
        question_set = get_object_or_404(QuestionSet, pk=pk)
        form = QuestionSetCopyForm(request.POST)
        if not form.is_valid():
            return QuestionSetDetailView().get(request, cohort_pk, pk, copy_form=form, status=400)
        copy = services.question_set_copy(question_set=question_set, name=form.cleaned_data["name"])
        messages.success(request, _("A new question set was made; choose it in the cohort's survey settings."))
        return _set_url(cohort_pk, copy)


class QuestionUpdateView(View):
    template_name = "surveys/question_update.html"

    def _question(self, pk, question_pk):
        question_set = get_object_or_404(QuestionSet, pk=pk)
        return get_object_or_404(question_set.questions.prefetch_related("choices"), pk=question_pk)

    def get(self, request, cohort_pk, pk, question_pk, form=None, status=200):
        question = self._question(pk, question_pk)
        form = form or QuestionForm(question_set=question.question_set, question=question)
        context = {"cohort": request.cohort, "question": question, "question_set": question.question_set, "form": form}
        return render(request, self.template_name, context, status=status)

    def post(self, request, cohort_pk, pk, question_pk):
        question = self._question(pk, question_pk)
        if "delete" in request.POST:
            try:
                question_set = services.question_delete(question=question)
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
                return _set_url(cohort_pk, question.question_set)
            messages.success(request, _("Question removed."))
            return _set_url(cohort_pk, question_set)
        if "move" in request.POST:
            try:
                question_set = services.question_move(question=question, up=request.POST["move"] == "up")
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
                return _set_url(cohort_pk, question.question_set)
            return _set_url(cohort_pk, question_set)
        form = QuestionForm(request.POST, question_set=question.question_set, question=question)
        if form.is_valid():
            try:
                updated = services.question_update(question=question, **form.service_kwargs())
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                if updated.question_set_id != question.question_set_id:
                    messages.info(
                        request,
                        _("People had already answered this set, so your change made version %(v)s.")
                        % {"v": updated.question_set.version},
                    )
                else:
                    messages.success(request, _("Question saved."))
                return _set_url(cohort_pk, updated.question_set)
        return self.get(request, cohort_pk, pk, question_pk, form=form, status=400)
