from django.urls import path

from . import views

app_name = "modules"

# The home page ("/", URL name "home") is named outside this namespace in config/urls.py.
urlpatterns = [
    path("programmes/<int:programme_pk>/cohorts/new/", views.CohortCreateView.as_view(), name="cohort_create"),
    path("cohorts/<int:cohort_pk>/", views.CohortDetailView.as_view(), name="cohort_detail"),
    path("cohorts/<int:cohort_pk>/edit/", views.CohortUpdateView.as_view(), name="cohort_update"),
    path("cohorts/<int:cohort_pk>/modules/<int:number>/", views.ModuleDetailView.as_view(), name="module_detail"),
    path("cohorts/<int:cohort_pk>/modules/<int:number>/edit/", views.ModuleUpdateView.as_view(), name="module_update"),
    path(
        "cohorts/<int:cohort_pk>/modules/<int:number>/deliver/",
        views.ModuleMarkDeliveredView.as_view(),
        name="module_mark_delivered",
    ),
    path(
        "cohorts/<int:cohort_pk>/attendance/export.<str:fmt>",
        views.AttendanceExportView.as_view(),
        name="attendance_export",
    ),
    path(
        "cohorts/<int:cohort_pk>/modules/<int:number>/adjustments/<int:item_pk>/",
        views.ActItemToggleView.as_view(),
        name="act_item_toggle",
    ),
]
