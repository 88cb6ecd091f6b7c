"""The processing slots hand a large file's memory back to the system."""

from __future__ import annotations

import threading

import pytest
from lxml import etree

from impactcheck.word import jobs

pytestmark = pytest.mark.skipif(
    jobs.resident_bytes() is None or jobs._malloc_trim() is None, reason="no /proc or no glibc: nothing to hand back"
)


def _large_job(seen: dict, alive: list) -> None:
    """What a large file does to a thread's heap: a big tree, freed, with small live blocks in between."""
    root = etree.Element("r")
    kept = []
    for i in range(300_000):  # about 150 MB of libxml2 nodes in this thread's heap
        child = etree.SubElement(root, "e", a=str(i))
        child.text = "x" * (i % 50)
        if i % 100 == 0:
            kept.append(etree.Element("k"))  # the heap cannot shrink by itself past these
    del root, child
    alive.append(kept)
    seen["freed"] = jobs.resident_bytes()


def test_the_memory_of_a_large_file_is_handed_back_when_its_slot_ends():
    seen, alive = {}, []

    def worker():
        with jobs.Slots().slot(jobs=1, queued=0, wait=1):
            _large_job(seen, alive)
        seen["after"] = jobs.resident_bytes()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen["freed"] - seen["after"] > 50 * 1024 * 1024, seen  # still held after the free, given back at the end
