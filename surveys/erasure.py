"""surveys' part of erasing a person and of retention (cohorts.erasure, privacy.retention).

A person's answers stay counted: scores, counts, NPS and the pairing of a person's answers across
surveys (the self-assessment change) are unchanged. What goes is the key from the answers to the
person and every free text:

- named and pseudonymous responses get one new random pseudonym for all of the person's answers,
  drawn here and kept nowhere, so nobody can recompute it from the membership any more;
- text answers are emptied (the answer row stays: the question still counts as answered) and no
  answer keeps a quote consent;
- the person's survey links stop working, queued invitations are not sent, errors that may hold
  their address are cleared.

Anonymous responses hold nothing that points at anyone, so there is nothing of theirs to find.
"""

import secrets

from django.db.models import Q

from surveys.models import Answer, Invitation, InvitationLink, Question, Response
from surveys.tokens import pseudonym_for


def responses_of_person(person):
    """The person's named and pseudonymous responses (no anonymous one can be found: none is linked)."""
    membership_ids = list(person.memberships.values_list("pk", flat=True))
    pseudonyms = [pseudonym_for(pk) for pk in membership_ids]
    return Response.objects.filter(Q(membership_id__in=membership_ids) | Q(pseudonym__in=pseudonyms))


def person_erase_survey_data(sender, *, person, **kwargs) -> dict:
    """cohorts.signals.person_erasing: unlink the person's answers and remove their free text."""
    responses = list(responses_of_person(person).values_list("pk", flat=True))
    answers = Answer.objects.filter(response_id__in=responses)
    texts = answers.filter(question__kind__in=Question.TEXT_KINDS).exclude(text="").update(text="")
    answers.exclude(quote_consent=Answer.QuoteConsent.NONE).update(quote_consent=Answer.QuoteConsent.NONE)
    Response.objects.filter(pk__in=responses).update(membership=None, pseudonym=secrets.token_hex(32))
    invitations = Invitation.objects.filter(membership__person=person)
    InvitationLink.objects.filter(invitation__in=invitations).delete()
    invitations.filter(status__in=[Invitation.Status.QUEUED, Invitation.Status.SENDING]).update(
        status=Invitation.Status.FAILED
    )
    invitations.exclude(last_error="").update(last_error="")
    return {"responses_unlinked": len(responses), "survey_texts_removed": texts}


def answers_text_expire(*, cohort_ids) -> int:
    """Retention: empty the free-text answers of these cohorts' surveys; no answer keeps a quote consent."""
    answers = Answer.objects.filter(response__survey__cohort_id__in=list(cohort_ids))
    count = answers.filter(question__kind__in=Question.TEXT_KINDS).exclude(text="").update(text="")
    answers.exclude(quote_consent=Answer.QuoteConsent.NONE).update(quote_consent=Answer.QuoteConsent.NONE)
    return count
