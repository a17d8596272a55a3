from django.urls import path

from . import views

app_name = "reports"

R = "cohorts/<int:cohort_pk>/report/"
K = R + "key-impacts/"

urlpatterns = [
    path(R, views.ReportDetailView.as_view(), name="report_detail"),
    path(R + "report.pdf", views.ReportPdfView.as_view(), name="report_pdf"),
    path(R + "report.xlsx", views.ReportXlsxView.as_view(), name="report_xlsx"),
    path(R + "narrative/", views.ReportNarrativeUpdateView.as_view(), name="report_narrative_update"),
    path(R + "publish/", views.ReportPublishView.as_view(), name="report_publish"),
    path(R + "unpublish/", views.ReportUnpublishView.as_view(), name="report_unpublish"),
    path(R + "quotes/remove/", views.ReportQuoteRemoveView.as_view(), name="report_quote_remove"),
    path(K + "add/", views.KeyImpactCreateView.as_view(), name="key_impact_create"),
    path(K + "<int:impact_pk>/edit/", views.KeyImpactUpdateView.as_view(), name="key_impact_update"),
    path(K + "<int:impact_pk>/delete/", views.KeyImpactDeleteView.as_view(), name="key_impact_delete"),
    path(K + "<int:impact_pk>/move/", views.KeyImpactMoveView.as_view(), name="key_impact_move"),
]
