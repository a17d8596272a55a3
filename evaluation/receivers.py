from .scheduling import evaluation_post_surveys_open

# The programme's last module, after which the post self-assessment and the evaluation open.
LAST_MODULE_NUMBER = 6


def evaluation_surveys_open_on_programme_delivered(sender, *, module, now=None, **kwargs):
    """modules.signals.module_delivered: when module 6 is delivered, open the post self-assessment
    and the end-of-programme evaluation in the transaction that marked it delivered; the mail goes
    out after commit."""
    if module.number == LAST_MODULE_NUMBER:
        evaluation_post_surveys_open(cohort=module.cohort, now=now)
