"""Survey services: the one way in for every caller (``from surveys import services`` or
``from surveys.services import survey_open_for_module``); nothing outside ``surveys`` imports a
submodule. Services publish Celery tasks by name (``publishing``) and never import ``surveys.tasks``.

Survey mail, by job: ``inviting`` (open a survey and invite, resend), ``publishing`` (tasks by name,
after commit), ``sending`` (claim the outbox rows and send), ``invitation_mail`` (the message and
what each outcome records), ``delivery`` (one connection per batch, shared with the summary),
``reminders``, ``closing`` (close on time, the facilitators' summary) and ``sweep``.
"""

from .closing import KIND_SUMMARY, summary_send, surveys_close_due
from .delivery import SendResult, mail_retry_countdown, sending_stale_after
from .invitation_mail import KIND_INVITATION, KIND_REMINDER, answer_url, invitation_message
from .inviting import (
    invitation_resend,
    invitations_resend_failed,
    survey_open_and_invite,
    survey_open_now,
    surveys_open_for_delivered_modules,
)
from .publishing import (
    QUEUED_GRACE,
    SEND_CHUNK_SIZE,
    invitation_publish_retry,
    invitations_publish,
    invitations_queue,
)
from .question_sets import (
    question_create,
    question_delete,
    question_move,
    question_set_copy,
    question_set_create,
    question_set_default,
    question_set_for_cohort,
    question_set_for_cohort_of,
    question_set_for_editing,
    question_set_is_locked,
    question_set_owner_change,
    question_set_update,
    question_update,
    question_validate,
    survey_settings_for_cohort,
)
from .reminders import reminders_due, reminders_queue_due, reminders_send
from .responses import (
    ResponseLockedError,
    answer_clean,
    answers_clean,
    condition_met,
    response_for_token,
    response_save,
    response_submit,
    survey_questions,
)
from .sending import invitations_send
from .surveys import (
    cohort_survey_settings_update,
    invitation_for_token,
    invitation_issue_token,
    invitation_link_withdraw,
    survey_close,
    survey_create_for_cohort,
    survey_defaults_for_cohort,
    survey_get_or_create_draft,
    survey_open,
    survey_open_for_module,
    survey_update,
)
from .sweep import invitations_sweep

__all__ = [
    "KIND_INVITATION",
    "KIND_REMINDER",
    "KIND_SUMMARY",
    "QUEUED_GRACE",
    "SEND_CHUNK_SIZE",
    "ResponseLockedError",
    "SendResult",
    "answer_clean",
    "answer_url",
    "answers_clean",
    "cohort_survey_settings_update",
    "condition_met",
    "invitation_for_token",
    "invitation_issue_token",
    "invitation_link_withdraw",
    "invitation_message",
    "invitation_publish_retry",
    "invitation_resend",
    "invitations_publish",
    "invitations_queue",
    "invitations_resend_failed",
    "invitations_send",
    "invitations_sweep",
    "mail_retry_countdown",
    "question_create",
    "question_delete",
    "question_move",
    "question_set_copy",
    "question_set_create",
    "question_set_default",
    "question_set_for_cohort",
    "question_set_for_cohort_of",
    "question_set_for_editing",
    "question_set_is_locked",
    "question_set_owner_change",
    "question_set_update",
    "question_update",
    "question_validate",
    "reminders_due",
    "reminders_queue_due",
    "reminders_send",
    "response_for_token",
    "response_save",
    "response_submit",
    "sending_stale_after",
    "summary_send",
    "survey_close",
    "survey_create_for_cohort",
    "survey_defaults_for_cohort",
    "survey_get_or_create_draft",
    "survey_open",
    "survey_open_and_invite",
    "survey_open_for_module",
    "survey_open_now",
    "survey_questions",
    "survey_settings_for_cohort",
    "survey_update",
    "surveys_close_due",
    "surveys_open_for_delivered_modules",
]
