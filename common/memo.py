"""Values made once per process and kept: a bounded, thread-safe store, least recently used dropped.

For what depends only on its key and costs more to make than to keep: a question-set version's
structure, the HTML of a chart or of a report's figures. The key must hold everything the value
shows, so that nothing ever has to be invalidated: changed data is another key, and old keys age
out. Each process (each gunicorn worker) keeps its own, so no cache outage can touch the pages.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class Memo:
    """At most ``maxsize`` values by key; reading a value makes it the most recently used."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._lock = threading.Lock()
        self._values: OrderedDict[Hashable, Any] = OrderedDict()

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.maxsize:
                self._values.popitem(last=False)

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The value kept for ``key``, or ``make()``'s, kept. ``make`` runs outside the lock (two
        threads may both make a value the first time; both are the same)."""
        value = self.get(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
