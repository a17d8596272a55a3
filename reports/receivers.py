from .services import report_quotes_remove_for_person


def report_quotes_remove_on_erasure(sender, *, person, **kwargs):
    """cohorts.signals.person_erasing: the person's quotes leave every impact report, published or
    draft, in the erasure's transaction (a failure here undoes the erasure)."""
    report_quotes_remove_for_person(person=person)
