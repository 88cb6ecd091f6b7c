"""Writing a stored Result into Word (the web app's path, and `docx insert --check`) needs neither the rule
model (pydantic: about 0.2 s to import and build) nor Babel's locale data nor a YAML parser (issue 12).

The probe runs in a fresh interpreter and can fail: it reports what it imported, and the section it wrote.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import docx
from lxml import etree

from impactcheck.core.answers import evaluate_submission, load_submission
from impactcheck.core.registry import resolve_ruleset
from tests.support import ROOT, RULES

EXAMPLE = RULES / "examples" / "kassel-2030" / "parkhaus-neubau" / "schaetzt.yaml"  # negative, with a chart

PROBE = """
import json, sys
from impactcheck.core.result import result_from_dict
from impactcheck.word import insert_section
result = result_from_dict(json.load(open(sys.argv[1], encoding="utf-8")))
outcome = insert_section(sys.argv[2], result)
open(sys.argv[3], "wb").write(outcome.docx)
heavy = {"pydantic", "babel", "yaml", "flask", "sqlalchemy", "jinja2", "docx"}
print(json.dumps({"loaded": sorted({m.split(".")[0] for m in sys.modules} & heavy), "code": outcome.verification_code}))
"""


def test_a_stored_result_goes_into_word_without_the_rule_model(tmp_path):
    result = evaluate_submission(resolve_ruleset("kassel-2030"), load_submission(EXAMPLE))
    stored = tmp_path / "result.json"
    stored.write_text(json.dumps(result.to_dict(), ensure_ascii=False), encoding="utf-8")
    paper = tmp_path / "vorlage.docx"
    d = docx.Document()
    d.add_heading("Beschlussvorlage 101.26.0815", 1)
    d.add_heading("Finanzielle Auswirkungen", 2)
    d.add_paragraph("Die Kosten betragen 4,2 Mio. €.")
    d.save(paper)
    out = tmp_path / "mit-klimacheck.docx"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(stored), str(paper), str(out)],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["loaded"] == [], report
    # It did write the section, with numbers (formatted without Babel) and the chart.
    with zipfile.ZipFile(out) as zf:
        body = etree.fromstring(zf.read("word/document.xml"))  # the section sits in a content control
    text = "".join(body.itertext())
    assert "Klimacheck" in text and "t CO2e" in text
    assert report["code"] in text
    assert "word/charts/klimacheck-diagramm.xml" in zipfile.ZipFile(out).namelist()
