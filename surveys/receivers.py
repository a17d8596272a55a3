"""surveys' reactions to lower apps' events (connected in SurveysConfig.ready)."""

from .services import survey_open_and_invite


def survey_open_on_module_delivered(sender, *, module, now=None, **kwargs):
    """modules.signals.module_delivered: open the module's survey (modules 1-5) and record its
    invitations, in the transaction that marked the module delivered; the mail goes out after commit."""
    survey_open_and_invite(module=module, now=now)
