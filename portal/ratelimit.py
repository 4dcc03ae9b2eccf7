"""A small per-client rate limit for public pages (the statement verification page).

In-process and per worker: enough to stop one client from guessing at speed; a deployment with
many workers puts the same limit in front of them (reverse proxy or shared store).
"""

import time
from collections import defaultdict, deque
from threading import Lock


class RateLimiter:
    def __init__(self):
        self._hits: dict[str, deque] = defaultdict(deque)
        self._lock = Lock()

    def allow(self, key: str, limit: int, window_seconds: float = 60.0) -> bool:
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and now - hits[0] > window_seconds:
                hits.popleft()
            if len(hits) >= limit:
                return False
            hits.append(now)
            return True


verification_limiter = RateLimiter()
