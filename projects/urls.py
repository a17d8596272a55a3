from django.urls import path

from . import views

app_name = "projects"

C = "cohorts/<int:cohort_pk>/"
P = C + "projects/<int:project_pk>/"
S = C + "sets/<int:set_pk>/"
M = P + "measures/<int:measure_pk>/"
T = C + "showcase/presentations/<int:presentation_pk>/"

urlpatterns = [
    # Action-learning sets
    path(C + "sets/", views.SetListView.as_view(), name="set_list"),
    path(C + "sets/add/", views.SetCreateView.as_view(), name="set_create"),
    path(C + "sets/split/", views.SetSplitView.as_view(), name="set_split"),
    path(C + "sets/assign/", views.SetAssignView.as_view(), name="set_assign"),
    path(S, views.SetDetailView.as_view(), name="set_detail"),
    path(S + "edit/", views.SetUpdateView.as_view(), name="set_update"),
    path(S + "delete/", views.SetDeleteView.as_view(), name="set_delete"),
    path(S + "reflections/", views.SetReflectionsUpdateView.as_view(), name="set_reflections_update"),
    path(S + "meetings/add/", views.SetMeetingFormView.as_view(), name="set_meeting_create"),
    path(S + "meetings/<int:meeting_pk>/edit/", views.SetMeetingFormView.as_view(), name="set_meeting_update"),
    path(S + "actions/add/", views.SetActionCreateView.as_view(), name="set_action_create"),
    path(S + "actions/<int:action_pk>/mark/", views.SetActionMarkView.as_view(), name="set_action_mark"),
    # Improvement projects
    path(C + "projects/", views.ProjectListView.as_view(), name="project_list"),
    path(C + "projects/add/", views.ProjectCreateView.as_view(), name="project_create"),
    path(P, views.ProjectDetailView.as_view(), name="project_detail"),
    path(P + "edit/", views.ProjectUpdateView.as_view(), name="project_update"),
    path(P + "delete/", views.ProjectDeleteView.as_view(), name="project_delete"),
    path(P + "score/", views.ProgressScoreRecordView.as_view(), name="progress_score_record"),
    path(P + "driver-diagram/", views.DriverDiagramUpdateView.as_view(), name="driver_diagram_update"),
    path(P + "measures/add/", views.MeasureFormView.as_view(), name="measure_create"),
    path(M, views.MeasureDetailView.as_view(), name="measure_detail"),
    path(M + "edit/", views.MeasureFormView.as_view(), name="measure_update"),
    path(M + "delete/", views.MeasureDeleteView.as_view(), name="measure_delete"),
    path(M + "points/add/", views.DataPointCreateView.as_view(), name="data_point_create"),
    path(M + "points/import/", views.DataPointsImportView.as_view(), name="data_points_import"),
    path(M + "points/<int:point_pk>/edit/", views.DataPointUpdateView.as_view(), name="data_point_update"),
    path(M + "points/<int:point_pk>/delete/", views.DataPointDeleteView.as_view(), name="data_point_delete"),
    path(P + "pdsa/add/", views.PDSACycleFormView.as_view(), name="pdsa_cycle_create"),
    path(P + "pdsa/<int:cycle_pk>/edit/", views.PDSACycleFormView.as_view(), name="pdsa_cycle_update"),
    # Module 6: the celebration event
    path(C + "showcase/", views.ShowcaseView.as_view(), name="showcase"),
    path(C + "showcase/print/", views.ShowcasePrintView.as_view(), name="showcase_print"),
    path(C + "showcase/presentations/add/", views.PresentationFormView.as_view(), name="presentation_create"),
    path(T, views.PresentationDetailView.as_view(), name="presentation_detail"),
    path(T + "edit/", views.PresentationFormView.as_view(), name="presentation_update"),
    path(T + "delete/", views.PresentationDeleteView.as_view(), name="presentation_delete"),
    path(T + "slides/", views.SlidesUploadView.as_view(), name="slides_upload"),
    path(T + "slides/download/", views.SlidesDownloadView.as_view(), name="slides_download"),
    path(T + "feedback/", views.FeedbackGiveView.as_view(), name="feedback_give"),
]
