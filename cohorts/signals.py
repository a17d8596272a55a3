"""Events of the cohorts app that higher apps react to (their receivers live with them). No models
here: apps.py modules import this before the app registry is ready.

``membership_withdrawn(sender=Membership, membership=...)``: sent by
``cohorts.services.membership_withdraw`` inside its transaction, after the membership is marked
withdrawn. Receiver: ``projects.receivers.set_membership_remove_on_withdrawal`` (takes the person
out of their action-learning set). A receiver that raises undoes the withdrawal.
"""

from django.dispatch import Signal

membership_withdrawn = Signal()
