"""The item banks are plain data that a later step turns into question sets: check that every item
could be saved as a ``surveys.Question`` as it stands (the rules of question_validate, without a
database)."""

import re

import pytest

from evaluation import dimensions
from evaluation.analysis import analyse_dimensions
from evaluation.dimensions import (
    DIMENSIONS,
    FOLLOW_UP_ITEMS,
    KIRKPATRICK_ITEMS,
    SELF_ASSESSMENT_ITEMS,
    DimensionSource,
    item_dimensions,
)
from surveys.models import Choice, Question

ITEM_BANKS = {
    "self-assessment": SELF_ASSESSMENT_ITEMS,
    "kirkpatrick": KIRKPATRICK_ITEMS,
    "follow-up": FOLLOW_UP_ITEMS,
}
HLM_NAMES = [
    "Inspiring shared purpose",
    "Leading with care",
    "Evaluating information",
    "Connecting our service",
    "Sharing the vision",
    "Engaging the team",
    "Holding to account",
    "Developing capability",
    "Influencing for results",
]


def _max_length(model, field):
    return model._meta.get_field(field).max_length


def test_self_assessment_has_the_nine_hlm_dimensions_then_the_five_programme_themes():
    by_source = {
        source: [d for d in DIMENSIONS if d.source == source]
        for source in (DimensionSource.HLM, DimensionSource.PROGRAMME)
    }

    assert [str(d.name) for d in by_source[DimensionSource.HLM]] == HLM_NAMES
    assert len(by_source[DimensionSource.PROGRAMME]) == 5
    assert [d.code for d in DIMENSIONS[:2]] == ["hlm-inspiring-shared-purpose", "hlm-leading-with-care"]


def test_every_self_assessment_dimension_has_two_or_three_first_person_likert_items():
    scored = [d for d in DIMENSIONS if d.source in (DimensionSource.HLM, DimensionSource.PROGRAMME)]
    for dimension in scored:
        items = [item for item in SELF_ASSESSMENT_ITEMS if item.dimension == dimension.code]
        assert 2 <= len(items) <= 3, dimension.code
        for number, item in enumerate(items, start=1):
            assert item.code == f"{dimension.code}-{number}"
            assert item.kind == dimensions.SELF_RATING_KIND == Question.Kind.LIKERT5
            assert re.search(r"(^|\s)I\s", str(item.text)), f"{item.code} is not in the first person"
            assert item.required is True


@pytest.mark.parametrize("bank", ITEM_BANKS)
def test_item_bank_fits_the_question_model(bank):
    items = ITEM_BANKS[bank]
    codes = [item.code for item in items]
    known_dimensions = {d.code for d in DIMENSIONS}

    assert len(codes) == len(set(codes))
    for position, item in enumerate(items):
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", item.code)
        assert len(item.code) <= _max_length(Question, "code")
        assert item.dimension in known_dimensions
        assert item.kind in Question.Kind.values
        assert 0 < len(str(item.text)) <= _max_length(Question, "text")
        assert len(str(item.help_text)) <= _max_length(Question, "help_text")
        labels = [str(label) for label in item.choices]
        assert len(labels) == len(set(labels))
        assert all(0 < len(label) <= _max_length(Choice, "label") for label in labels)
        if item.kind in Question.CHOICE_KINDS:
            assert len(labels) >= 2, item.code
        else:
            assert labels == [], item.code
        if item.max_choices is not None:
            assert item.kind == Question.Kind.MULTIPLE_CHOICE
            assert 1 <= item.max_choices <= len(labels)
        if item.condition is not None:
            code, value = item.condition
            earlier = {i.code: i for i in items[:position]}
            assert code in earlier, f"{item.code} depends on a later or unknown question"
            condition = earlier[code]
            assert condition.kind in Question.CONDITIONABLE_KINDS
            assert str(value) in [str(label) for label in condition.choices]


def test_kirkpatrick_items_cover_the_four_levels_in_order():
    levels = list(dict.fromkeys(item.dimension for item in KIRKPATRICK_ITEMS))

    assert levels == ["kp-reaction", "kp-learning", "kp-behaviour", "kp-results"]
    sources = {d.code: d.source for d in DIMENSIONS}
    assert {sources[level] for level in levels} == {DimensionSource.KIRKPATRICK}


def test_follow_up_asks_about_sustained_change_and_projects():
    codes = {item.code for item in FOLLOW_UP_ITEMS}

    assert {"fu-sustained-use", "fu-project-status"} <= codes


def test_item_dimensions_feeds_the_analysis():
    mapping = item_dimensions(SELF_ASSESSMENT_ITEMS)
    ratings = {
        f"p{i}": {code: {"pre": 2, "post": 3 + (i % 2)} for code in mapping if code.startswith("hlm-engaging")}
        for i in range(4)
    }

    results = {r.dimension: r for r in analyse_dimensions(ratings, mapping)}

    assert next(iter(results)) == "hlm-inspiring-shared-purpose"
    engaging = results["hlm-engaging-the-team"].changes["post_pre"]
    assert engaging.n_pairs == 4
    assert engaging.improved == 4
    assert results["hlm-leading-with-care"].changes["post_pre"].suppressed is True
