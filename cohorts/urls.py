from django.urls import path

from . import views

app_name = "cohorts"

# The home page ("home"), the cohort page and its edit page show modules too: modules/urls.py.
urlpatterns = [
    path("cohorts/<int:cohort_pk>/participants/add/", views.ParticipantAddView.as_view(), name="participant_add"),
    path(
        "cohorts/<int:cohort_pk>/participants/<int:membership_pk>/edit/",
        views.ParticipantUpdateView.as_view(),
        name="participant_update",
    ),
    path(
        "cohorts/<int:cohort_pk>/participants/<int:membership_pk>/withdraw/",
        views.ParticipantWithdrawView.as_view(),
        name="participant_withdraw",
    ),
    path(
        "cohorts/<int:cohort_pk>/participants/<int:membership_pk>/reinstate/",
        views.ParticipantReinstateView.as_view(),
        name="participant_reinstate",
    ),
    path(
        "cohorts/<int:cohort_pk>/participants/import/",
        views.ParticipantImportView.as_view(),
        name="participant_import",
    ),
    path(
        "cohorts/<int:cohort_pk>/participants/import/preview/",
        views.ParticipantImportPreviewView.as_view(),
        name="participant_import_preview",
    ),
    path(
        "cohorts/<int:cohort_pk>/participants/import/cancel/",
        views.ParticipantImportCancelView.as_view(),
        name="participant_import_cancel",
    ),
    path(
        "cohorts/<int:cohort_pk>/participants/import/template.csv",
        views.ParticipantImportTemplateView.as_view(),
        name="participant_import_template",
    ),
    path(
        "cohorts/<int:cohort_pk>/participants/import/template.xlsx",
        views.ParticipantImportTemplateXlsxView.as_view(),
        name="participant_import_template_xlsx",
    ),
    path(
        "cohorts/<int:cohort_pk>/participants/export.<str:fmt>",
        views.ParticipantExportView.as_view(),
        name="participant_export",
    ),
]
