"""The Word package sits below the web app and the store: it imports neither, nor Flask or SQLAlchemy."""

from __future__ import annotations

import subprocess
import sys

from tests.support import ROOT, imported_modules

FORBIDDEN = ("flask", "flask_wtf", "flask_login", "flask_babel", "sqlalchemy", "alembic", "wtforms")
READING = ROOT / "impactcheck/rules/examples/kassel-2030/gasheizung-ersatz-kita/schaetzt.yaml"


def test_word_sources_import_nothing_of_the_shell():
    imports = imported_modules("word")
    assert imports
    for file, name in imports:
        assert name.split(".")[0] not in FORBIDDEN, f"{file} imports {name}"
        assert not name.startswith(("impactcheck.web", "impactcheck.store", "impactcheck.cli")), (
            f"{file} imports {name}"
        )


def test_using_every_function_loads_no_web_or_database_module():
    probe = f"""
import sys
from impactcheck.core.answers import evaluate_submission, load_submission
from impactcheck.core.registry import resolve_ruleset
from impactcheck.word import annex_docx, insert_section, sector_chart, standalone_section_docx
from impactcheck.word.nativechart import chart_parts
r = evaluate_submission(resolve_ruleset("kassel-2030"), load_submission({str(READING)!r}))
insert_section(standalone_section_docx(r), r, annex="separate")
annex_docx(r)
chart_parts(sector_chart(r))
print(sorted({{m.split(".")[0] for m in sys.modules}} & set({FORBIDDEN!r})))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
