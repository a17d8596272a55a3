"""The one rule for non-named figures: no group of respondents under MIN_GROUP (a pure function)."""

from surveys.disclosure import HIDDEN, MIN_GROUP, POOLED, profession_groups


def test_profession_groups_pools_small_groups_and_widens_a_pool_under_three():
    assert MIN_GROUP == 3
    # Three groups of 1 make a pool of 3; the groups of 3 and 4 stand.
    assert profession_groups({"nurse": 4, "psychology": 3, "medicine": 1, "social_work": 1, "other": 1}) == {
        "nurse": "nurse",
        "psychology": "psychology",
        "medicine": POOLED,
        "social_work": POOLED,
        "other": POOLED,
    }
    # A pool of 1 would be "everyone who is not a nurse or a psychologist": the smallest group joins it.
    assert profession_groups({"nurse": 4, "psychology": 3, "medicine": 1}) == {
        "nurse": "nurse",
        "psychology": POOLED,
        "medicine": POOLED,
    }
    # Nothing left to compare: no breakdown at all.
    assert profession_groups({"nurse": 4, "medicine": 2}) == {"nurse": HIDDEN, "medicine": HIDDEN}
    assert profession_groups({"nurse": 2}) == {"nurse": HIDDEN}
    assert profession_groups({"nurse": 5}) == {"nurse": "nurse"}
