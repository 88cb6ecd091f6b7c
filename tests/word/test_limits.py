"""Bounded work per file: limits counted while inflating and parsing, refused at the check, before storing.

Every file here is refused by `check_docx` – what the upload form calls before it stores anything – with one
German sentence, and quickly: the check never does more work than the limit it enforces.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zlib

import pytest

from impactcheck.core.errors import InputError
from impactcheck.word import Limits, check_docx
from tests.support import ROOT
from tests.word import docs, hostile
from tests.word.hostile import MB, Entry

NAME = "vorlage.docx"


@pytest.fixture(scope="module")
def good():
    return docs.make(docs.beschlussvorlage)


def refused_by_check(data: bytes, *words: str, seconds: float = 5.0, **limits) -> str:
    started = time.monotonic()
    with pytest.raises(InputError) as info:
        check_docx(data, name=NAME, **({"limits": Limits(**limits)} if limits else {}))
    took = time.monotonic() - started
    message = info.value.one_line()
    assert message.startswith(f"{NAME}: ") and "\n" not in message, message
    for word in words:
        assert word in message, message
    assert took < seconds, f"the check took {took:.1f} s"
    return message


def test_a_directory_that_understates_a_size_is_found_out_while_inflating(good):
    """The ZIP directory says 30 KB; the data inflates to 50 MB. The check stops at the 30 KB."""
    packed, _, _ = hostile.deflated(hostile.zeros(50 * MB))
    lie = Entry("word/media/image1.png", b"", packed=packed, crc=0, size=30 * 1024)
    data = hostile.raw_zip(hostile.replaced(good, x=lie))
    refused_by_check(data, "word/media/image1.png", "größer entpackt, als das Inhaltsverzeichnis", seconds=1)


def test_a_bad_crc_is_refused_at_the_check(good):
    """A document.xml longer than its prolog: the old check never read to its end, so never saw the CRC."""
    document = b"".join(hostile.document_xml(hostile.word_paragraphs(200_000)))
    bad = Entry("word/document.xml", document, crc=zlib.crc32(b"something else"))
    refused_by_check(hostile.raw_zip(hostile.replaced(good, x=bad)), "word/document.xml", "Prüfsumme")


def test_a_bad_crc_in_a_member_we_only_copy_is_refused_too(good):
    members = docs.members(good)
    bad = Entry("docProps/thumbnail.jpeg", members["docProps/thumbnail.jpeg"], crc=1)
    refused_by_check(hostile.raw_zip(hostile.replaced(good, x=bad)), "thumbnail.jpeg", "Prüfsumme")


@pytest.fixture(scope="module")
def huge_document(good):
    """The issue's file: a document.xml of 199 MiB in a docx of about 1.5 MB (each limit of the time passed)."""
    return hostile.with_document(good, hostile.repeated_paragraphs(199 * MB))


def test_a_199_mib_document_xml_is_refused_quickly(huge_document):
    assert len(huge_document) < 2 * MB
    refused_by_check(huge_document, "word/document.xml", seconds=10)


def test_too_many_nodes_in_the_main_document(good):
    data = hostile.with_document(good, hostile.empty_paragraphs(120_000))
    refused_by_check(data, "word/document.xml", "mehr als 100.000 XML-Knoten", max_xml_nodes=100_000)


def test_a_part_held_as_a_tree_is_held_to_the_tree_limit(good):
    """styles.xml is read whole: 600,000 nodes (about 170 MB as a tree) are refused, by default limits."""
    styles = docs.members(good)["word/styles.xml"]
    many = b"".join(b'<w:style w:type="character" w:styleId="s%d"/>' % i for i in range(200_000))
    bloated = styles.replace(b"</w:styles>", many + b"</w:styles>")
    data = hostile.raw_zip(hostile.replaced(good, x=Entry("word/styles.xml", bloated)))
    refused_by_check(data, "word/styles.xml", "zu umfangreich", "300.000 XML-Knoten")


def test_the_main_document_kept_as_a_tree_is_held_to_the_tree_limit(good):
    """Headings are what the insertion must see as a tree: a document of nothing but headings is bounded."""
    heading = b'<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Abschnitt %d</w:t></w:r></w:p>'
    data = hostile.with_document(good, [heading % (i * 7919 % 100_003) for i in range(20_000)])
    refused_by_check(data, "word/document.xml", "zu viel Speicher", "60.000 XML-Knoten", max_tree_nodes=60_000)
    check_docx(data, name=NAME)  # within the default limit


def test_nesting_deeper_than_the_parser_allows_is_refused_at_the_check(good):
    data = hostile.with_document(good, [hostile.nested(300)])
    refused_by_check(data, "word/document.xml", "256 Ebenen")


def test_processing_time_is_limited(good):
    data = hostile.with_document(good, hostile.word_paragraphs(4 * MB))
    refused_by_check(data, "dauert länger als 0 Sekunden", max_seconds=0.0)


@pytest.mark.parametrize(
    "member",
    ["../../evil.txt", "/abs/evil.txt", "C:\\Windows\\evil.txt", "word\\..\\..\\evil.xml", "word/./x.xml", "a//b"],
)
def test_member_names_outside_the_package_are_refused_at_the_check(good, member):
    data = hostile.raw_zip([*hostile.entries_of(good), Entry(member, b"<x/>")])
    refused_by_check(data, "außerhalb des Dokuments")


def test_a_local_header_naming_another_file_is_refused(good):
    """Tools that read local headers and tools that read the directory would see different files."""
    entries = hostile.entries_of(good)
    entries.append(Entry("customXml/item9.xml", b"<x/>", local_name="customXml/other.xml"))
    refused_by_check(hostile.raw_zip(entries), "customXml/item9.xml", "heißt im Archiv zweimal anders")


def test_the_limits_are_the_configured_ones():
    from impactcheck import settings

    assert Limits.from_config(settings.DEFAULTS) == Limits()
    configured = Limits.from_config({**settings.DEFAULTS, "UPLOAD_MAX_BYTES": 1000, "WORD_JOBS": 5})
    assert (configured.max_bytes, configured.max_jobs) == (1000, 5)


# --- what the worst file the limits accept costs --------------------------------------------------------

MEASURE = """
import resource, sys, time
sys.path.insert(0, {root!r})
from tests.word import docs, hostile
from impactcheck.core.answers import evaluate_submission, load_submission
from impactcheck.core.registry import resolve_ruleset
from impactcheck.word import insert_section
result = evaluate_submission(resolve_ruleset("kassel-2030"), load_submission({answers!r}))
base = docs.make(docs.beschlussvorlage)
insert_section(base, result)  # imports and the chart's first drawing: the fixed base
data = hostile.with_document(base, {body})
def peak():
    # VmHWM: the peak of this process since it started this program (ru_maxrss would include the
    # resident memory of the process it was forked from)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
before = peak()
started = time.monotonic()
out = insert_section(data, result)
print(before, peak(), time.monotonic() - started, len(out.docx))
"""
ANSWERS = ROOT / "impactcheck/rules/examples/kassel-2030/gasheizung-ersatz-kita/schaetzt.yaml"


def measure(body: str) -> tuple[float, float, float]:
    code = MEASURE.format(root=str(ROOT), answers=str(ANSWERS), body=body)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
    before, after, seconds, _ = map(float, proc.stdout.split())
    return before, after, seconds


def test_insertion_memory_grows_with_the_document_not_with_its_tree():
    """A 24 MB document.xml of Word-like paragraphs (a tree of it would take about 330 MB): the insertion's
    peak stays under 5 times the XML above the fixed base, and far under 300 MB."""
    size = 24
    before, after, seconds = measure(f"hostile.word_paragraphs({size} * hostile.MB)")
    assert after - before < 5 * size, (before, after)
    assert after < 300, after
    assert seconds < 20, seconds


def test_a_document_of_empty_paragraphs_costs_no_tree_either():
    before, after, _ = measure("hostile.empty_paragraphs(800_000)")
    assert after - before < 60, (before, after)
