"""common.memo.Memo: values made once per process, bounded, least recently used dropped."""

from common.memo import Memo


def test_a_value_is_made_once_then_kept():
    memo = Memo(maxsize=4)
    made = []

    first = memo.get_or_make("a", lambda: made.append("a") or ["value"])
    again = memo.get_or_make("a", lambda: made.append("a") or ["other"])

    assert first is again
    assert made == ["a"]


def test_the_least_recently_used_value_goes_first():
    memo = Memo(maxsize=2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # "a" is now the most recently used

    memo.put("c", 3)

    assert len(memo) == 2
    assert memo.get("b") is None
    assert (memo.get("a"), memo.get("c")) == (1, 3)


def test_falsy_values_are_kept_too_and_clear_empties_it():
    memo = Memo(maxsize=2)
    made = []
    for _ in range(2):
        memo.get_or_make("empty", lambda: made.append(1) or ())

    assert made == [1]
    memo.clear()
    assert len(memo) == 0
    assert memo.get("empty") is None
