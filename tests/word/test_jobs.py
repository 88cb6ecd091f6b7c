"""The processing slots hand a large file's memory back to the system, and skip that work for small ones."""

from __future__ import annotations

import os
import threading

import pytest
from lxml import etree

from impactcheck.word import jobs

pytestmark = pytest.mark.skipif(jobs._LIBC is None, reason="no glibc: nothing to hand back")


def _resident() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_a_large_tree_freed_in_a_worker_thread_is_handed_back():
    seen = {}

    def job():
        root = etree.Element("r")
        kept = []
        for i in range(300_000):  # about 150 MB of libxml2 nodes in this thread's heap
            child = etree.SubElement(root, "e", a=str(i))
            child.text = "x" * (i % 50)
            if i % 100 == 0:
                kept.append(etree.Element("k"))  # small live blocks in between: the heap cannot shrink by itself
        del root, child
        seen["freed"], seen["before"] = jobs.freed_bytes(), _resident()
        with jobs.Slots().slot(jobs=1, queued=0, wait=1):
            pass  # leaving a slot is where the memory is handed back
        seen["after"] = _resident()
        seen["kept"] = len(kept)

    worker = threading.Thread(target=job)
    worker.start()
    worker.join()
    assert seen["freed"] > jobs.TRIM_ABOVE
    assert seen["before"] - seen["after"] > 50 * 1024 * 1024, seen
