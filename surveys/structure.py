"""A question set's structure (its questions in order, with their choices and conditions), loaded once
per process and kept while the set does not change.

Answering a survey reads the same few rows on every request: the questions of one set version, their
choices and the questions their conditions test. Those rows change rarely and only in two ways:

* an answered version is frozen (``question_set_for_editing`` makes the next version, a new primary
  key); so is a set copied for a cohort;
* a version nobody has answered yet is changed in place, by the facilitators' pages (through
  ``question_set_for_editing``) and by the admin (the question set's inline, a question's page with
  its choices).

So the structure is cached under the set's primary key and a version stamp, the set's ``updated_at``,
which every in-place change moves on: a saved or deleted question or choice touches its set
(``question_set_touch``, connected to the models' ``post_save`` and ``post_delete`` signals in
``SurveysConfig.ready``, so that no edit path can forget it). A request reads the stamp with the row
that leads it to the set (the invitation's survey) and gets the cached structure for that stamp;
after an edit the stamp differs and the structure is read again. The cache is per process (each
gunicorn worker keeps its own), bounded (``MAXSIZE`` set versions, least recently used dropped), and
holds model instances that callers must treat as read-only: they are shared between requests.

The answering page also keeps, under the same stamp, its questions as HTML for a participant who has
not answered yet (``fragment``): an empty form looks the same for everyone answering that set version
with the same privacy, in the same language.
"""

import datetime
from collections.abc import Mapping

from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from common.memo import Memo
from surveys.models import Choice, Question, QuestionSet

MAXSIZE = 256

_cache = Memo(MAXSIZE)  # (set id, stamp) -> the version's questions, a tuple


def _questions(questions):
    return questions.select_related("condition_question").prefetch_related("choices").order_by("order", "id")


def questions_load(question_set_id: int) -> list[Question]:
    """The set's questions in order, each with its choices and its condition's question (2 queries)."""
    return list(_questions(Question.objects.filter(question_set_id=question_set_id)))


def questions_for_set(*, question_set_id: int, stamp: datetime.datetime | None) -> list[Question]:
    """The structure of the set version ``question_set_id`` whose ``updated_at`` is ``stamp``: from the
    cache, or read (2 queries) and cached. The instances are shared: do not change them."""
    return list(_cache.get_or_make((question_set_id, stamp), lambda: tuple(questions_load(question_set_id))))


def questions_for_sets(stamps: Mapping[int, datetime.datetime | None]) -> dict[int, list[Question]]:
    """``questions_for_set`` of several sets ({set id: stamp}), those not cached read together (2
    queries, whatever their number)."""
    found: dict[int, list[Question]] = {}
    for set_id, stamp in stamps.items():
        cached = _cache.get((set_id, stamp))
        if cached is not None:
            found[set_id] = list(cached)
    missing = [set_id for set_id in stamps if set_id not in found]
    if missing:
        loaded: dict[int, list[Question]] = {set_id: [] for set_id in missing}
        for question in _questions(Question.objects.filter(question_set_id__in=missing)):
            loaded[question.question_set_id].append(question)
        for set_id, questions in loaded.items():
            _cache.put((set_id, stamps[set_id]), tuple(questions))
        found.update(loaded)
    return found


_fragments = Memo(MAXSIZE)


def fragment(key: tuple, render):
    """HTML (or another read-only value, such as form fields) that depends only on ``key`` (which
    must hold the set's pk and stamp and anything else it shows), made by ``render()`` the first
    time and kept like the structure."""
    return _fragments.get_or_make(key, render)


def cache_clear() -> None:
    _cache.clear()
    _fragments.clear()


def _moved_on():
    """Now, or a microsecond after the stamp if that is not earlier (two edits in one clock tick, a
    clock set back): the stamp of a changed set always differs from every stamp it had."""
    return Greatest(Value(timezone.now()), F("updated_at") + datetime.timedelta(microseconds=1))


def question_set_touch(*, question_set_id: int) -> None:
    """Move the set's version stamp on: its structure changed in place."""
    QuestionSet.objects.filter(pk=question_set_id).update(updated_at=_moved_on())


def question_saved_or_deleted(sender, instance: Question, **kwargs) -> None:
    """``post_save`` / ``post_delete`` of a Question."""
    if instance.question_set_id is not None:
        question_set_touch(question_set_id=instance.question_set_id)


def choice_saved_or_deleted(sender, instance: Choice, **kwargs) -> None:
    """``post_save`` / ``post_delete`` of a Choice: its question's set changed."""
    QuestionSet.objects.filter(questions__pk=instance.question_id).update(updated_at=_moved_on())
