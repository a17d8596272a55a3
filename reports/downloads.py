"""The report's PDF and spreadsheet, kept in the default cache (Redis) under a digest of everything
they are made from, so that each is drawn once for the same report.

Drawing is the slow part of a download (WeasyPrint: a second or more for a finished cohort), while
what is drawn is cheaper to make: the PDF's HTML, the spreadsheet's rows. The key is a digest of that
input and of whatever else shapes the file (the renderer's version,
the stylesheet), so a change to the report gives another key and a file already drawn is served
only for exactly the input it was drawn from: never a stale one. Files expire after
``REPORT_FILE_CACHE_SECONDS`` (each edit of a draft makes a new one if it is downloaded again).

Within a process the key of a report's file is kept under the report's stamp (``ReportPage.stamp``:
a digest of every row it is drawn from, the language and the day), so a download of an unchanged
report neither renders its HTML nor builds its rows: it reads the digest and the file. The file's own
key still comes from its input, so a file drawn by one process serves the others.

Each process also keeps the last few files it served from the cache or put there (``FILES_KEPT``),
by the same key: the key is a digest of the file's input, so a file kept is the one the cache would
give, and an unchanged report's download reads the digest of its rows and nothing else (no round
trip to Redis for a hundred kilobytes).

The cache only saves time: while it is unavailable (Redis down) the file is drawn as it would be
without it, and a warning says so (and the process does not keep it either).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Hashable, Iterable

from django.conf import settings
from django.core.cache import cache

from common.cache import CACHE_UNAVAILABLE
from common.memo import Memo

logger = logging.getLogger(__name__)


def file_key(kind: str, sources: Iterable[str | bytes]) -> str:
    digest = hashlib.sha256(kind.encode())
    for source in sources:
        data = source.encode() if isinstance(source, str) else source
        digest.update(len(data).to_bytes(8, "big"))  # so that no two lists of sources run together
        digest.update(data)
    return f"reports:{kind}:{digest.hexdigest()}"


# The key of each file already drawn in this process, by kind and the stamp of the report it shows
# (``ReportPage.stamp``): the same stamp is the same input, so its key need not be made again.
_keys = Memo(64)

# The files themselves, by key: a few, as each can be a megabyte (a finished cohort's PDF).
FILES_KEPT = 8
_files = Memo(FILES_KEPT)


def file_cached(
    kind: str,
    sources: Callable[[], list[str | bytes]],
    draw: Callable[[list[str | bytes]], bytes],
    *,
    stamp: Hashable | None = None,
) -> bytes:
    """The file ``draw(sources())`` makes: from the cache, or drawn and kept there.

    ``stamp``: what ``sources()`` depends on besides this process's code, templates and stylesheet
    (``ReportPage.stamp``), if known. Then the key is made once per stamp, and the sources only when
    the file must be drawn."""
    made: list = []

    def key_made() -> str:
        made.append(sources())
        return file_key(kind, made[0])

    key = key_made() if stamp is None else _keys.get_or_make((kind, stamp), key_made)

    def drawn() -> bytes:
        return draw(made[0] if made else sources())

    content = _files.get(key)
    if content is not None:
        return content
    try:
        content = cache.get(key)
    except CACHE_UNAVAILABLE as exc:
        logger.warning("Report file cache unavailable, the %s is drawn without it: %s", kind, exc)
        return drawn()
    if content is not None:
        _files.put(key, content)
        return content
    content = drawn()
    try:
        cache.set(key, content, settings.REPORT_FILE_CACHE_SECONDS)
    except CACHE_UNAVAILABLE as exc:
        logger.warning("Report file cache unavailable, the %s was drawn but not kept: %s", kind, exc)
        return content
    _files.put(key, content)
    return content


def file_keys_clear() -> None:
    _keys.clear()
    _files.clear()
