from django.urls import path

from .views import answer, invitations, mine, pdsa, question_sets, surveys

app_name = "surveys"

survey = "cohorts/<int:cohort_pk>/surveys/<int:number>/"
sets = "cohorts/<int:cohort_pk>/surveys/question-sets/"
# The evaluation's surveys (self-assessments, end-of-programme, follow-up) follow no module: their
# mail pages are named by kind.
by_kind = "cohorts/<int:cohort_pk>/surveys/evaluation/<slug:kind>/"

urlpatterns = [
    # Participants, without an account.
    path("s/answer/", answer.AnswerView.as_view(), name="answer"),
    path("s/answer/next/", answer.AnswerNextView.as_view(), name="answer_next"),
    path("s/<str:token>/", answer.AnswerStartView.as_view(), name="answer_start"),
    # Signed-in participants, from "my programme": a fresh link for their own invitation.
    path("me/surveys/<int:pk>/answer/", mine.MyInvitationAnswerView.as_view(), name="my_invitation_answer"),
    # Facilitators.
    path("cohorts/<int:cohort_pk>/surveys/", surveys.SurveyListView.as_view(), name="survey_list"),
    path("cohorts/<int:cohort_pk>/surveys/trends/", surveys.SurveyTrendsView.as_view(), name="survey_trends"),
    path(survey, surveys.SurveyDetailView.as_view(), name="survey_detail"),
    path(f"{survey}create/", surveys.SurveyCreateView.as_view(), name="survey_create"),
    path(f"{survey}open/", surveys.SurveyOpenView.as_view(), name="survey_open"),
    path(f"{survey}results/", surveys.SurveyResultsView.as_view(), name="survey_results"),
    path(f"{survey}export.<str:fmt>", surveys.SurveyExportView.as_view(), name="survey_export"),
    path(
        f"{survey}invitations/<int:pk>/link/",
        surveys.InvitationLinkCreateView.as_view(),
        name="invitation_link_create",
    ),
    # Survey mail (helper F): delivery state of each invitation, resending.
    path(f"{survey}mail/", invitations.InvitationDeliveryView.as_view(), name="invitation_delivery"),
    path(f"{survey}mail/<int:pk>/resend/", invitations.InvitationResendView.as_view(), name="invitation_resend"),
    path(
        f"{survey}mail/resend-failed/",
        invitations.InvitationResendFailedView.as_view(),
        name="invitations_resend_failed",
    ),
    path(f"{by_kind}mail/", invitations.InvitationDeliveryView.as_view(), name="invitation_delivery_by_kind"),
    path(
        f"{by_kind}mail/<int:pk>/resend/",
        invitations.InvitationResendView.as_view(),
        name="invitation_resend_by_kind",
    ),
    path(
        f"{by_kind}mail/resend-failed/",
        invitations.InvitationResendFailedView.as_view(),
        name="invitations_resend_failed_by_kind",
    ),
    # The PDSA pages (the records belong to modules; the Study step shows survey results).
    path(
        "cohorts/<int:cohort_pk>/modules/<int:number>/pdsa/",
        pdsa.PDSACycleUpdateView.as_view(),
        name="pdsa_cycle_update",
    ),
    path("cohorts/<int:cohort_pk>/pdsa/", pdsa.PDSATimelineView.as_view(), name="pdsa_timeline"),
    path(sets, question_sets.QuestionSetListView.as_view(), name="question_set_list"),
    path(f"{sets}<int:pk>/", question_sets.QuestionSetDetailView.as_view(), name="question_set_detail"),
    path(f"{sets}<int:pk>/copy/", question_sets.QuestionSetCopyView.as_view(), name="question_set_copy"),
    path(
        f"{sets}<int:pk>/questions/<int:question_pk>/",
        question_sets.QuestionUpdateView.as_view(),
        name="question_update",
    ),
]
