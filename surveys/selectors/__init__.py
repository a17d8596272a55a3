"""Read-side queries for survey pages; import from here (``from surveys import selectors``).

Every aggregate is computed in the database; each selector runs a fixed number of queries whatever
the number of responses. Selectors never call services.
"""

from .figures import mean, nps
from .mail import DeliveryCounts, SummaryCounts, invitation_delivery_for_survey, invitation_rows, survey_summary_counts
from .mine import OpenInvitation, invitation_leading_on, open_invitations_for_user
from .pages import (
    invitation_list_for_survey,
    question_set_detail,
    question_set_editable,
    question_set_list,
    question_set_questions,
    question_set_visible,
    survey_invitee_count,
    survey_list_for_cohort,
)
from .pdsa import (
    PDSAEntry,
    ScoreMove,
    pdsa_entry_for_module,
    pdsa_entry_values,
    pdsa_record_values,
    pdsa_timeline_for_cohort,
    score_moves,
)
from .results import (
    MIN_GROUP,
    Bar,
    ProfessionRate,
    ProfessionScore,
    QuestionResult,
    SurveyResults,
    TextAnswer,
    results_rate_values,
    results_values,
    survey_response_count,
    survey_results,
)
from .summaries import (
    HEADLINE_LABELS,
    SurveySummary,
    Trend,
    survey_summaries_for_cohort,
    survey_trends_for_cohort,
    trend_values,
)

__all__ = [
    "HEADLINE_LABELS",
    "MIN_GROUP",
    "Bar",
    "DeliveryCounts",
    "OpenInvitation",
    "PDSAEntry",
    "ProfessionRate",
    "ProfessionScore",
    "QuestionResult",
    "ScoreMove",
    "SummaryCounts",
    "SurveyResults",
    "SurveySummary",
    "TextAnswer",
    "Trend",
    "invitation_delivery_for_survey",
    "invitation_leading_on",
    "invitation_list_for_survey",
    "invitation_rows",
    "mean",
    "nps",
    "open_invitations_for_user",
    "pdsa_entry_for_module",
    "pdsa_entry_values",
    "pdsa_record_values",
    "pdsa_timeline_for_cohort",
    "question_set_detail",
    "question_set_editable",
    "question_set_list",
    "question_set_questions",
    "question_set_visible",
    "results_rate_values",
    "results_values",
    "score_moves",
    "survey_invitee_count",
    "survey_list_for_cohort",
    "survey_response_count",
    "survey_results",
    "survey_summaries_for_cohort",
    "survey_summary_counts",
    "survey_trends_for_cohort",
    "trend_values",
]
