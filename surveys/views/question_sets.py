"""Facilitators' question-set pages (ownership and copy-on-write: surveys.services.question_sets).

Sets are looked up only among those the cohort may see (``QuestionSet.objects.visible_to_cohort``):
another cohort's set, or another programme's, is a 404 like any object outside the cohort.
"""

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


def _question_set(request, pk) -> QuestionSet:
    visible = QuestionSet.objects.visible_to_cohort(request.cohort).select_related("programme", "cohort")
    return get_object_or_404(visible, pk=pk)


def _say_where_the_edit_went(request, before: QuestionSet, after: QuestionSet, done: str) -> None:
    if after.slug != before.slug:
        messages.info(
            request,
            _(
                "“%(set)s” is shared with other cohorts, so your change was made in this cohort's own copy, "
                "“%(copy)s”. Where this cohort used the shared set, it now uses the copy."
            )
            % {"set": before.name, "copy": after.name},
        )
    elif after.pk != before.pk:
        messages.info(
            request,
            _("People had already answered this set, so your change made version %(v)s.") % {"v": after.version},
        )
    else:
        messages.success(request, done)


class QuestionSetListView(View):
    template_name = "surveys/question_set_list.html"

    def get(self, request, cohort_pk, form=None, status=200):
        context = {
            "cohort": request.cohort,
            "question_sets": selectors.question_set_list(cohort=request.cohort),
            "form": form or QuestionSetCreateForm(),
        }
        return render(request, self.template_name, context, status=status)

    def post(self, request, cohort_pk):
        form = QuestionSetCreateForm(request.POST)
        if not form.is_valid():
            return self.get(request, cohort_pk, form=form, status=400)
        question_set = services.question_set_create(**form.cleaned_data, cohort=request.cohort)
        messages.success(request, _("Question set created; add its questions."))
        return _set_url(cohort_pk, question_set)


class QuestionSetDetailView(View):
    template_name = "surveys/question_set_detail.html"

    def get(self, request, cohort_pk, pk, form=None, copy_form=None, status=200):
        question_set = _question_set(request, pk)
        context = {
            "cohort": request.cohort,
            "question_set": question_set,
            "questions": selectors.question_set_detail(question_set=question_set),
            "locked": services.question_set_is_locked(question_set=question_set),
            "editable": QuestionSet.objects.editable_by(request.user, request.cohort).filter(pk=pk).exists(),
            "form": form or QuestionForm(question_set=question_set),
            "copy_form": copy_form or QuestionSetCopyForm(initial={"name": _("%s (copy)") % question_set.name}),
        }
        return render(request, self.template_name, context, status=status)

    def post(self, request, cohort_pk, pk):
        """Add a question."""
        question_set = _question_set(request, pk)
        form = QuestionForm(request.POST, question_set=question_set)
        if form.is_valid():
            try:
                question = services.question_create(
                    question_set=question_set, user=request.user, cohort=request.cohort, **form.service_kwargs()
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                _say_where_the_edit_went(request, question_set, question.question_set, _("Question added."))
                return _set_url(cohort_pk, question.question_set)
        return self.get(request, cohort_pk, pk, form=form, status=400)


class QuestionSetCopyView(View):
    def post(self, request, cohort_pk, pk):
        question_set = _question_set(request, pk)
        form = QuestionSetCopyForm(request.POST)
        if not form.is_valid():
            return QuestionSetDetailView().get(request, cohort_pk, pk, copy_form=form, status=400)
        copy = services.question_set_copy(
            question_set=question_set, name=form.cleaned_data["name"], cohort=request.cohort
        )
        messages.success(request, _("A new question set was made; choose it in the cohort's survey settings."))
        return _set_url(cohort_pk, copy)


class QuestionUpdateView(View):
    template_name = "surveys/question_update.html"

    def _question(self, request, pk, question_pk):
        question_set = _question_set(request, pk)
        return get_object_or_404(question_set.questions.prefetch_related("choices"), pk=question_pk)

    def get(self, request, cohort_pk, pk, question_pk, form=None, status=200):
        question = self._question(request, pk, question_pk)
        form = form or QuestionForm(question_set=question.question_set, question=question)
        context = {"cohort": request.cohort, "question": question, "question_set": question.question_set, "form": form}
        return render(request, self.template_name, context, status=status)

    def post(self, request, cohort_pk, pk, question_pk):
        question = self._question(request, pk, question_pk)
        editor = {"user": request.user, "cohort": request.cohort}
        if "delete" in request.POST or "move" in request.POST:
            try:
                if "delete" in request.POST:
                    question_set = services.question_delete(question=question, **editor)
                else:
                    question_set = services.question_move(question=question, up=request.POST["move"] == "up", **editor)
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
                return _set_url(cohort_pk, question.question_set)
            done = _("Question removed.") if "delete" in request.POST else _("Question moved.")
            _say_where_the_edit_went(request, question.question_set, question_set, done)
            return _set_url(cohort_pk, question_set)
        form = QuestionForm(request.POST, question_set=question.question_set, question=question)
        if form.is_valid():
            try:
                updated = services.question_update(question=question, **editor, **form.service_kwargs())
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                _say_where_the_edit_went(request, question.question_set, updated.question_set, _("Question saved."))
                return _set_url(cohort_pk, updated.question_set)
        return self.get(request, cohort_pk, pk, question_pk, form=form, status=400)
