"""Counting failures per key (e.g. wrong passwords per account) in the shared cache."""

import hashlib
import time

from django.core.cache import cache


class FailureLimit:
    """At most ``limit`` failures per ``window`` seconds for one key; the next attempt waits."""

    def __init__(self, scope: str, *, limit: int, window: int = 60):
        self.scope, self.limit, self.window = scope, limit, window

    def _cache_key(self, key: str) -> str:
        return f"failures:{self.scope}:{hashlib.sha256(key.encode()).hexdigest()}"

    def _recent(self, key: str) -> list[float]:
        now = time.time()
        return [moment for moment in cache.get(self._cache_key(key), []) if moment > now - self.window]

    def wait_seconds(self, key: str) -> int | None:
        """Seconds until ``key`` may try again, or None when it may try now."""
        recent = self._recent(key)
        if len(recent) < self.limit:
            return None
        return max(1, int(recent[0] + self.window - time.time()) + 1)

    def record(self, key: str) -> None:
        recent = [*self._recent(key), time.time()]
        cache.set(self._cache_key(key), recent[-self.limit :], self.window)

    def clear(self, key: str) -> None:
        cache.delete(self._cache_key(key))
