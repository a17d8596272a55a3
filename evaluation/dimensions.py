"""The evaluation's item banks as plain data: the leadership self-assessment (pre, then, post), the
end-of-programme evaluation by Kirkpatrick level and the follow-up.

Every item has the fields of a ``surveys.Question`` (code, kind, text, help text, required, choices,
maximum choices, condition), so a later step can build question sets from them as
``surveys/defaults.py`` does, plus the code of the dimension it belongs to. Codes are stable slugs:
the analysis pairs answers through them, and copies of a set keep them.

The self-assessment statements are our own words. Only the nine dimension *names* come from the
NHS Healthcare Leadership Model (NHS Leadership Academy, 2013); none of the Academy's published
questions is used or paraphrased.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from surveys.models import Question

# Self-ratings use the 5-point agreement scale (1 strongly disagree - 5 strongly agree), the
# existing likert5 kind, not a 7-point scale:
# * most retrospective-pretest ("then") evaluations of leadership programmes use 5-point agreement,
#   so results can be set beside theirs;
# * the post survey asks every item twice (now, and "then" looking back), on a phone: five labelled
#   points fit a 375-pixel screen and are quick to tell apart, seven are not;
# * participants already know the scale from the module surveys, and the surveys app stores,
#   validates and charts it today, with no new question kind;
# * with cohorts of 10-20 the extra resolution of seven points buys little: the test works on
#   ranks of the changes, and averaging two items already gives half-point steps.
SELF_RATING_KIND = Question.Kind.LIKERT5


class DimensionSource(models.TextChoices):
    HLM = "hlm", _("NHS Healthcare Leadership Model dimension")
    PROGRAMME = "programme", _("Programme theme")
    KIRKPATRICK = "kirkpatrick", _("Kirkpatrick level")
    FOLLOW_UP = "follow_up", _("Follow-up topic")


@dataclass(frozen=True)
class Dimension:
    code: str
    name: Promise
    source: DimensionSource


@dataclass(frozen=True)
class Item:
    """One question, in the shape of ``surveys.Question``; ``dimension`` groups items for analysis."""

    code: str
    dimension: str
    kind: Question.Kind
    text: Promise
    help_text: Promise | str = ""
    required: bool = True
    choices: tuple[Promise, ...] = ()
    max_choices: int | None = None
    condition: tuple[str, Promise] | None = None  # (code of an earlier item, the answer that shows this one)


DIMENSIONS = (
    Dimension("hlm-inspiring-shared-purpose", _("Inspiring shared purpose"), DimensionSource.HLM),
    Dimension("hlm-leading-with-care", _("Leading with care"), DimensionSource.HLM),
    Dimension("hlm-evaluating-information", _("Evaluating information"), DimensionSource.HLM),
    Dimension("hlm-connecting-our-service", _("Connecting our service"), DimensionSource.HLM),
    Dimension("hlm-sharing-the-vision", _("Sharing the vision"), DimensionSource.HLM),
    Dimension("hlm-engaging-the-team", _("Engaging the team"), DimensionSource.HLM),
    Dimension("hlm-holding-to-account", _("Holding to account"), DimensionSource.HLM),
    Dimension("hlm-developing-capability", _("Developing capability"), DimensionSource.HLM),
    Dimension("hlm-influencing-for-results", _("Influencing for results"), DimensionSource.HLM),
    Dimension("prog-coaching-grow", _("Coaching conversations (GROW)"), DimensionSource.PROGRAMME),
    Dimension("prog-appreciative-inquiry", _("Appreciative Inquiry"), DimensionSource.PROGRAMME),
    Dimension("prog-wicked-problems", _("Working with complex (“wicked”) problems"), DimensionSource.PROGRAMME),
    Dimension("prog-team-dynamics", _("Team dynamics"), DimensionSource.PROGRAMME),
    Dimension("prog-leading-change", _("Confidence to lead change"), DimensionSource.PROGRAMME),
    Dimension("kp-reaction", _("Reaction"), DimensionSource.KIRKPATRICK),
    Dimension("kp-learning", _("Learning"), DimensionSource.KIRKPATRICK),
    Dimension("kp-behaviour", _("Behaviour"), DimensionSource.KIRKPATRICK),
    Dimension("kp-results", _("Results"), DimensionSource.KIRKPATRICK),
    Dimension("fu-sustained", _("Sustained change"), DimensionSource.FOLLOW_UP),
    Dimension("fu-projects", _("Improvement projects"), DimensionSource.FOLLOW_UP),
)
DIMENSIONS_BY_CODE = {d.code: d for d in DIMENSIONS}


def _self_ratings(dimension: str, *statements: Promise) -> tuple[Item, ...]:
    return tuple(
        Item(code=f"{dimension}-{number}", dimension=dimension, kind=SELF_RATING_KIND, text=text)
        for number, text in enumerate(statements, start=1)
    )


# Two statements a dimension: the post survey asks each twice (now and "then"), so 28 items make 56
# ratings, about ten minutes; a third item each would add five more minutes on a phone for little
# gain in reliability at this cohort size.
SELF_ASSESSMENT_ITEMS = (
    *_self_ratings(
        "hlm-inspiring-shared-purpose",
        _("I help my team see how their everyday work connects with what matters to patients and service users."),
        _("I speak up when I see care or behaviour that falls short of our values, even when that is uncomfortable."),
    ),
    *_self_ratings(
        "hlm-leading-with-care",
        _("I notice when someone in my team is struggling and make time to talk with them."),
        _("I look after my own wellbeing so that I can support others well."),
    ),
    *_self_ratings(
        "hlm-evaluating-information",
        _("I look for data and for different points of view before I make a decision about my service."),
        _("I use measurement to tell whether a change has really led to an improvement."),
    ),
    *_self_ratings(
        "hlm-connecting-our-service",
        _("I understand how my team's work affects other teams and services along a patient's journey."),
        _("I build working relationships with colleagues outside my own team to solve shared problems."),
    ),
    *_self_ratings(
        "hlm-sharing-the-vision",
        _("I can describe in a few sentences where I want my team to be a year from now."),
        _("I talk about where we are heading in a way that gives people hope and is honest about the difficulties."),
    ),
    *_self_ratings(
        "hlm-engaging-the-team",
        _("I involve my team in decisions that affect their work."),
        _("I ask for ideas from everyone in the team, not only the most confident voices, and act on them."),
    ),
    *_self_ratings(
        "hlm-holding-to-account",
        _("I agree clear expectations with people and follow them up."),
        _("I raise concerns about someone's work early and fairly, rather than letting problems build up."),
    ),
    *_self_ratings(
        "hlm-developing-capability",
        _("I give people in my team regular, specific feedback that helps them grow."),
        _("I create chances for people in my team to take on new responsibilities and learn."),
    ),
    *_self_ratings(
        "hlm-influencing-for-results",
        _("I adapt how I make my case to the people I need to persuade."),
        _("I can win support for a change from people over whom I have no authority."),
    ),
    *_self_ratings(
        "prog-coaching-grow",
        _("I use coaching questions to help colleagues find their own solutions instead of telling them what to do."),
        _("I can take a coaching conversation from a goal, through the reality and the options, to an agreed step."),
    ),
    *_self_ratings(
        "prog-appreciative-inquiry",
        _("When my team faces a problem, I start by exploring what is already working well."),
        _("I use questions about strengths and past successes to help my team imagine what could be better."),
    ),
    *_self_ratings(
        "prog-wicked-problems",
        _("I can tell a problem with a known solution from a complex one that has no single right answer."),
        _("Faced with a complex problem, I try small tests of change and learn from them, not wait for a full plan."),
    ),
    *_self_ratings(
        "prog-team-dynamics",
        _("I understand the different roles and working styles in my team and how they affect one another."),
        _("I notice tension or conflict in my team and deal with it openly and constructively."),
    ),
    *_self_ratings(
        "prog-leading-change",
        _("I feel confident to lead a change in my service, even when the outcome is uncertain."),
        _("I know how to bring people with me when I introduce a change."),
    ),
)

# Shared labels: a condition must name a choice exactly as it is stored.
METHODS = (
    _("A GROW coaching conversation"),
    _("Appreciative Inquiry"),
    _("A team-dynamics tool"),
    _("An action-learning question"),
    _("A PDSA test of change"),
    _("Something else from the programme"),
)
HOW_OFTEN = (
    _("Not yet"),
    _("Once or twice"),
    _("About once a month"),
    _("About once a week"),
    _("Several times a week"),
)
DIFFERENCE_MADE = (_("Yes, clearly"), _("Yes, a little"), _("Not yet"), _("Too early to tell"))
PROJECT_STOPPED = _("It has stopped")

# Kirkpatrick's four levels (reaction, learning, behaviour, results), sent when module 6 is
# delivered, as the post self-assessment is. Kept short (17 questions, 3 of them optional free text)
# for that reason. It is a second survey with its own invitation (evaluation/scheduling.py), and the
# self-assessment's thank-you page leads straight on to it, so that a participant who stops after
# the long self-assessment keeps those answers and can come back to this one. The self-assessment
# itself is ratings only; these free-text answers carry participants' own words, and are the ones
# they may let us quote.
KIRKPATRICK_ITEMS = (
    Item(
        "kp-reaction-worthwhile", "kp-reaction", Question.Kind.LIKERT5, _("Overall, the programme was worth my time.")
    ),
    Item(
        "kp-reaction-group-work",
        "kp-reaction",
        Question.Kind.LIKERT5,
        _("The face-to-face group work helped me learn."),
    ),
    Item(
        "kp-reaction-facilitators",
        "kp-reaction",
        Question.Kind.LIKERT5,
        _("The facilitators made it safe to try things out and be challenged."),
    ),
    Item(
        "kp-reaction-recommend",
        "kp-reaction",
        Question.Kind.RATING0_10,
        _("How likely are you to recommend this programme to a colleague?"),
        help_text=_("0 means not at all likely, 10 means extremely likely."),
    ),
    Item(
        "kp-learning-topics",
        "kp-learning",
        Question.Kind.MULTIPLE_CHOICE,
        _("Which parts of the programme did you learn most from?"),
        help_text=_("Choose up to three."),
        choices=(
            _("Team dynamics"),
            _("Working with complex (“wicked”) problems"),
            _("Coaching conversations (GROW)"),
            _("Appreciative Inquiry"),
            _("Improvement methods (PDSA, measurement)"),
            _("The action-learning set"),
            _("Understanding my own leadership style"),
        ),
        max_choices=3,
    ),
    Item(
        "kp-learning-team-dynamics",
        "kp-learning",
        Question.Kind.LIKERT5,
        _("I understand better how my team works together, and why."),
    ),
    Item(
        "kp-learning-wicked-problems",
        "kp-learning",
        Question.Kind.LIKERT5,
        _("I understand better how to approach problems that have no single right answer."),
    ),
    Item("kp-learning-coaching", "kp-learning", Question.Kind.LIKERT5, _("My coaching skills have improved.")),
    Item(
        "kp-learning-own-style",
        "kp-learning",
        Question.Kind.LIKERT5,
        _("I know my own leadership style, its strengths and its blind spots, better than before."),
    ),
    Item(
        "kp-learning-most-important",
        "kp-learning",
        Question.Kind.LONG_TEXT,
        _("What is the most important thing you learnt?"),
        required=False,
    ),
    Item(
        "kp-behaviour-how-often",
        "kp-behaviour",
        Question.Kind.SINGLE_CHOICE,
        _("How often do you now use a method from the programme with your staff or team?"),
        choices=HOW_OFTEN,
    ),
    Item(
        "kp-behaviour-methods",
        "kp-behaviour",
        Question.Kind.MULTIPLE_CHOICE,
        _("Which methods have you used with your staff or team?"),
        required=False,
        choices=METHODS,
    ),
    Item(
        "kp-behaviour-example",
        "kp-behaviour",
        Question.Kind.LONG_TEXT,
        _("Describe one thing you now do differently with your staff or team."),
        help_text=_("What you did, with whom (no names, please), and what happened."),
        required=False,
    ),
    Item(
        "kp-results-service",
        "kp-results",
        Question.Kind.SINGLE_CHOICE,
        _("Has something you changed because of the programme made a difference to how your service works?"),
        choices=DIFFERENCE_MADE,
    ),
    Item(
        "kp-results-staff",
        "kp-results",
        Question.Kind.SINGLE_CHOICE,
        _("Has it made a difference for your staff (for example their wellbeing, involvement or development)?"),
        choices=DIFFERENCE_MADE,
    ),
    Item(
        "kp-results-patients",
        "kp-results",
        Question.Kind.SINGLE_CHOICE,
        _("Has it made a difference for patients or service users?"),
        choices=DIFFERENCE_MADE,
    ),
    Item(
        "kp-results-example",
        "kp-results",
        Question.Kind.LONG_TEXT,
        _("What has changed for your service, your staff or patients? Please say how you know."),
        required=False,
    ),
)

# Some months after the end (3 by default): is the change sustained, are the projects still running?
# The first question repeats kp-behaviour-how-often's choices so the two can be compared.
FOLLOW_UP_ITEMS = (
    Item(
        "fu-sustained-use",
        "fu-sustained",
        Question.Kind.SINGLE_CHOICE,
        _("How often do you now use a method from the programme with your staff or team?"),
        choices=HOW_OFTEN,
    ),
    Item(
        "fu-sustained-methods",
        "fu-sustained",
        Question.Kind.MULTIPLE_CHOICE,
        _("Which methods have you used since the programme ended?"),
        required=False,
        choices=METHODS,
    ),
    Item(
        "fu-sustained-confidence",
        "fu-sustained",
        Question.Kind.LIKERT5,
        _("I still feel confident to lead a change in my service."),
    ),
    Item(
        "fu-sustained-example",
        "fu-sustained",
        Question.Kind.LONG_TEXT,
        _("What is different, for you, your staff or patients, since the programme ended?"),
        required=False,
    ),
    Item(
        "fu-project-status",
        "fu-projects",
        Question.Kind.SINGLE_CHOICE,
        _("Is your improvement project still running?"),
        choices=(
            _("Yes, as planned"),
            _("Yes, and it has grown or spread"),
            _("It has finished and the change is now routine"),
            PROJECT_STOPPED,
            _("I did not have a project"),
        ),
    ),
    Item(
        "fu-project-stopped-why",
        "fu-projects",
        Question.Kind.SHORT_TEXT,
        _("What made it stop?"),
        required=False,
        condition=("fu-project-status", PROJECT_STOPPED),
    ),
    Item(
        "fu-support",
        "fu-projects",
        Question.Kind.LONG_TEXT,
        _("What support would help you keep going?"),
        required=False,
    ),
)


def item_dimensions(items: tuple[Item, ...]) -> dict[str, str]:
    """{item code: dimension code} in item order: the mapping ``evaluation.analysis`` takes."""
    return {item.code: item.dimension for item in items}
