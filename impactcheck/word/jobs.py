"""How many Word files one process works on at once.

Checking and inserting cost CPU and memory; without a cap, a handful of large uploads would take every
server thread and the sum of their peaks. The cap is per process on purpose: memory and threads are what
it protects, and those belong to the process (N workers behind a proxy get N times the cap). A file that
finds every slot taken waits a while; when too many are waiting already, it is told at once to try again,
so that waiting files never hold the threads the rest of the app needs.
"""

from __future__ import annotations

import ctypes
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
        try:
            yield
        finally:
            self._local.held = False
            with self._cond:
                self.running -= 1
                self._cond.notify()
            _return_free_memory()


TRIM_ABOVE = 8 * 1024 * 1024  # freed bytes the heaps may keep; a small file's few MB are reused anyway


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (field, ctypes.c_size_t)
        for field in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                      "keepcost")
    ]  # fmt: skip


def _libc():
    """glibc's malloc_trim and mallinfo2 (2.33 and later), or None where there is no such C library."""
    try:
        libc = ctypes.CDLL(None)
        libc.mallinfo2.restype = _MallInfo2
        libc.malloc_trim, libc.mallinfo2  # noqa: B018 - raise AttributeError here, not at the first file
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


def freed_bytes() -> int:
    """Bytes freed but kept in the C heaps of all threads (0 where that cannot be asked)."""
    return _LIBC.mallinfo2().fordblks if _LIBC is not None else 0


def _return_free_memory() -> None:
    """Hand the memory a large file took back to the system once it is freed.

    glibc keeps freed memory in per-thread heaps for reuse; a server thread that processed a large file would
    hold on to it for good. malloc_trim gives it back; it walks the heaps (about a millisecond), so it runs
    only when more than TRIM_ABOVE lies freed in them."""
    if _LIBC is not None and freed_bytes() > TRIM_ABOVE:
        _LIBC.malloc_trim(0)


SLOTS = Slots()
