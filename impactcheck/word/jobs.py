"""How many Word files one process works on at once.

Checking and inserting cost CPU and memory; without a cap, a handful of large uploads would take every
server thread and the sum of their peaks. The cap is per process on purpose: memory and threads are what
it protects, and those belong to the process (N workers behind a proxy get N times the cap). A file that
finds every slot taken waits a while; when too many are waiting already, it is told at once to try again,
so that waiting files never hold the threads the rest of the app needs.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from impactcheck.core.errors import InputError, Problem
from impactcheck.core.i18n import N_


class Busy(InputError):
    """Every slot taken: the user should try again in a minute (not bad input, but said the same way)."""


BUSY = N_("Der Server bearbeitet gerade mehrere Word-Dateien; bitte versuchen Sie es in einer Minute noch einmal.")


class Slots:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.running = 0
        self.waiting = 0
        self.peak = 0  # most files worked on at once, for tests and benchmarks
        self._local = threading.local()

    @contextmanager
    def slot(self, *, jobs: int, queued: int, wait: float) -> Iterator[None]:
        if getattr(self._local, "held", False):  # insertion checks the file again: same slot
            yield
            return
        deadline = time.monotonic() + wait
        with self._cond:
            if self.running >= jobs:
                if self.waiting >= queued:
                    raise Busy(Problem(BUSY))
                self.waiting += 1
                try:
                    while self.running >= jobs:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            raise Busy(Problem(BUSY))
                        self._cond.wait(left)
                finally:
                    self.waiting -= 1
            self.running += 1
            self.peak = max(self.peak, self.running)
        self._local.held = True
        before = resident_bytes()
        try:
            yield
        finally:
            self._local.held = False
            with self._cond:
                self.running -= 1
                self._cond.notify()
            _return_free_memory(before)


TRIM_ABOVE = 32 * 1024 * 1024  # growth of the resident memory over one file that is handed back
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> int | None:
    """The process's resident memory (Linux), None where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim, or None where there is no such C library (ctypes is loaded only when needed)."""
    import ctypes

    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def _return_free_memory(before: int | None) -> None:
    """Hand the memory a large file took back to the system once it is freed.

    glibc keeps freed memory in per-thread heaps for reuse; a server thread that processed a large file would
    hold on to it for good. malloc_trim gives it back; it walks the heaps (a millisecond or more), so it runs
    only when the resident memory grew by more than TRIM_ABOVE while the file was worked on (`before`)."""
    after = resident_bytes()
    if before is None or after is None or after - before <= TRIM_ABOVE:
        return
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


SLOTS = Slots()
