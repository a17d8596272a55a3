"""Events of the cohorts app that higher apps react to (their receivers live with them). No models
here: apps.py modules import this before the app registry is ready.

``membership_withdrawn(sender=Membership, membership=...)``: sent by
``cohorts.services.membership_withdraw`` inside its transaction, after the membership is marked
withdrawn. Receiver: ``projects.receivers.set_membership_remove_on_withdrawal`` (takes the person
out of their action-learning set). A receiver that raises undoes the withdrawal.

``person_erasing(sender=Person, person=...)``: sent by the erasure service (issue 15) inside its
transaction, before the person's own row is anonymised. Each higher app's receiver removes or
anonymises what it holds about the person (free text, quotes, a published report's quotes) while
keeping aggregates correct. A receiver that raises undoes the erasure.
"""

from django.dispatch import Signal

membership_withdrawn = Signal()
person_erasing = Signal()
