"""The worst files the default limits still accept cost bounded memory at insertion: under 5 times the
uncompressed document.xml above the fixed base, and under 300 MB in all (issue 8: a 199 MiB document.xml
took 2.5 GB). test_limits.py measures a 24 MB paper; these go to the limits themselves – a main document of
running text just under WORD_MAX_XML_BYTES, and one of headings (held as a tree) just under
WORD_MAX_TREE_NODES. Each is inserted in a fresh process, so the peak is this file's alone."""

from __future__ import annotations

from impactcheck.word import Limits
from tests.word.hostile import MB
from tests.word.test_limits import measure

HEADING = (
    "b'<w:p><w:pPr><w:pStyle w:val=\"Heading1\"/></w:pPr><w:r><w:t>Abschnitt %d</w:t></w:r></w:p>'"
    " % (i * 7919 % 100_003)"
)


def test_the_largest_running_text_the_limits_accept():
    size = Limits().max_xml_part // MB - 2  # 62 MB: the part limit is 64 MB
    before, after, _seconds = measure(f"hostile.word_paragraphs({size} * hostile.MB)")  # raises if refused
    assert after - before < 5 * size, (before, after)
    assert after < 300, after


def test_the_most_headings_the_tree_limit_accepts():
    # About 8 nodes a heading: 36,000 of them are just under the 300,000 nodes held as a tree.
    count = Limits().max_tree_nodes * 12 // 100
    before, after, _seconds = measure(f"[{HEADING} for i in range({count})]")
    assert after < 300, (before, after)
