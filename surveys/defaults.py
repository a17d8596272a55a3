"""The default "module feedback" question set, as plain data (used by a data migration and a service)."""

DEFAULT_SET = {
    "slug": "module-feedback",
    "name": "Module feedback",
    "description": "The standard short survey after each of modules 1-5.",
}

# (code, kind, text, help_text, required, choices, max_choices, condition (code, value) or None)
DEFAULT_QUESTIONS = [
    ("usefulness", "likert5", "The module was useful for my work.", "", True, [], None, None),
    (
        "confidence",
        "likert5",
        "I feel confident to apply what I learnt with my team.",
        "",
        True,
        [],
        None,
        None,
    ),
    (
        "pace",
        "single_choice",
        "How did the pace of the day feel?",
        "",
        True,
        ["Too slow", "About right", "Too fast"],
        None,
        None,
    ),
    (
        "pace_detail",
        "short_text",
        "Which part of the day felt rushed?",
        "",
        False,
        [],
        None,
        ("pace", "Too fast"),
    ),
    (
        "most_useful",
        "multiple_choice",
        "Which parts of the day were most useful?",
        "Choose up to two.",
        False,
        [
            "Input from the facilitators",
            "Small-group work",
            "Time in the action-learning set",
            "Time to reflect",
            "Meeting colleagues from other services",
        ],
        2,
        None,
    ),
    ("went_well", "long_text", "What went well?", "", False, [], None, None),
    ("improve", "long_text", "What could be improved?", "", False, [], None, None),
    (
        "recommend",
        "rating0_10",
        "How likely are you to recommend this programme to a colleague?",
        "0 means not at all likely, 10 means extremely likely.",
        True,
        [],
        None,
        None,
    ),
    ("anything_else", "long_text", "Is there anything else you would like to tell us?", "", False, [], None, None),
]

# Shown on results summaries and the PDSA pages: (code, aggregate).
HEADLINE_QUESTIONS = [("usefulness", "mean"), ("confidence", "mean"), ("recommend", "nps")]


def create_default_set(QuestionSet, Question, Choice):
    question_set = QuestionSet.objects.create(
        slug=DEFAULT_SET["slug"], name=DEFAULT_SET["name"], description=DEFAULT_SET["description"]
    )
    by_code = {}
    for order, (code, kind, text, help_text, required, choices, max_choices, condition) in enumerate(
        DEFAULT_QUESTIONS, start=1
    ):
        question = Question.objects.create(
            question_set=question_set,
            order=order * 10,
            code=code,
            kind=kind,
            text=text,
            help_text=help_text,
            required=required,
            max_choices=max_choices,
            condition_question=by_code[condition[0]] if condition else None,
            condition_value=condition[1] if condition else "",
        )
        by_code[code] = question
        Choice.objects.bulk_create(
            [Choice(question=question, order=i, label=label) for i, label in enumerate(choices, start=1)]
        )
    return question_set
