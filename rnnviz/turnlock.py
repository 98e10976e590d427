"""A lock taken in turns, for the session's weights: a thread that waits for it goes before the one that just let
it go comes back for it.

With a plain `threading.Lock`, the training thread, which takes the lock for each step and takes it again at once
for the next, can keep a waiting prediction out for minutes: a release does not hand the lock over.
"""
from __future__ import annotations

import threading


class TurnLock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue = threading.Lock()  # held by the one thread next in line for `_lock`

    def acquire(self, blocking: bool = True) -> bool:
        if not self._queue.acquire(blocking):
            return False
        try:
            return self._lock.acquire(blocking)
        finally:
            self._queue.release()

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> TurnLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
