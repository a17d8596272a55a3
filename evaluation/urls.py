from django.urls import path

from surveys.models import Survey

from . import programme_views, result_views, views

app_name = "evaluation"

C = "cohorts/<int:cohort_pk>/"
P = C + "practice/"
E = C + "evaluation/"

urlpatterns = [
    # The programme pages, for the provider's staff
    path("programmes/", programme_views.ProgrammeListView.as_view(), name="programme_list"),
    path("programmes/<int:programme_pk>/", programme_views.ProgrammeDetailView.as_view(), name="programme_detail"),
    # The practice log: a participant's own pages
    path(P, views.PracticeMomentListView.as_view(), name="practice_moment_list"),
    path(P + "log/", views.PracticeMomentCreateView.as_view(), name="practice_moment_create"),
    path(P + "<int:moment_pk>/edit/", views.PracticeMomentUpdateView.as_view(), name="practice_moment_update"),
    path(P + "<int:moment_pk>/delete/", views.PracticeMomentDeleteView.as_view(), name="practice_moment_delete"),
    path(P + "reminders/", views.PracticeNudgesUpdateView.as_view(), name="practice_nudges_update"),
    # Reflections shared with a set: its members and its set facilitator
    path(P + "set/", views.PracticeSetReflectionsView.as_view(), name="practice_set_reflections"),
    # Counts for facilitators
    path(C + "evaluation/practice/", views.PracticeSummaryView.as_view(), name="practice_summary"),
    # The evaluation's results, for facilitators and staff
    path(E, result_views.EvaluationOverviewView.as_view(), name="evaluation_overview"),
    path(E + "follow-up-date/", result_views.FollowUpDateUpdateView.as_view(), name="follow_up_date_update"),
    path(E + "self-assessment/", result_views.SelfAssessmentResultsView.as_view(), name="self_assessment_results"),
    path(
        E + "end-of-programme/",
        result_views.LevelResultsView.as_view(kind=Survey.Kind.EVALUATION),
        name="evaluation_results",
    ),
    path(E + "follow-up/", result_views.LevelResultsView.as_view(kind=Survey.Kind.FOLLOW_UP), name="follow_up_results"),
    path(E + "quotes/", result_views.QuoteListView.as_view(), name="quote_list"),
    path(E + "quotes/select/", result_views.QuoteSelectView.as_view(), name="quote_select"),
    path(E + "quotes/deselect/", result_views.QuoteDeselectView.as_view(), name="quote_deselect"),
    path(E + "quotes/move/", result_views.QuoteMoveView.as_view(), name="quote_move"),
]
