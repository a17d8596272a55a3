from django.urls import path

from . import views

app_name = "evaluation"

C = "cohorts/<int:cohort_pk>/"
P = C + "practice/"

urlpatterns = [
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
]
