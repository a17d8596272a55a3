"""projects' reactions to lower apps' events (connected in ProjectsConfig.ready)."""

from .services import set_membership_remove_withdrawn


def set_membership_remove_on_withdrawal(sender, *, membership, **kwargs):
    """cohorts.signals.membership_withdrawn: a withdrawn person leaves their action-learning set."""
    set_membership_remove_withdrawn(membership=membership)
