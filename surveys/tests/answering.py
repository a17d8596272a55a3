"""What a participant does on the answering page in a browser (Playwright), for the browser tests."""

import re


def group(page, name):
    """A question's group of options, by the start of its legend."""
    return page.get_by_role("group", name=re.compile(rf"^{re.escape(name)}"))


def answer_module_survey(page, *, confident="3 – Neither agree nor disagree"):
    """The four questions a module survey requires answered, sent; waits for the thank-you page."""
    group(page, "The module was useful for my work.").get_by_label("4 – Agree").check()
    group(page, "I feel confident to apply").get_by_label(confident).check()
    group(page, "How did the pace of the day feel?").get_by_label("About right").check()
    group(page, "How likely are you to recommend").get_by_label("9", exact=True).check()
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_text("Thank you – your answers are saved").wait_for()
