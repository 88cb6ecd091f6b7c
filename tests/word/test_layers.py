"""The Word package sits below the web app and the store: it imports neither, nor Flask or SQLAlchemy."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.support import ROOT

FORBIDDEN = ("flask", "flask_wtf", "flask_login", "flask_babel", "sqlalchemy", "alembic", "wtforms")


def test_word_sources_import_nothing_of_the_shell():
    for path in (ROOT / "impactcheck" / "word").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
                assert not name.startswith(("impactcheck.web", "impactcheck.store", "impactcheck.cli")), (
                    f"{path.name} imports {name}"
                )


def test_using_every_function_loads_no_web_or_database_module():
    probe = f"""
import sys
from impactcheck.core.answers import evaluate_submission, load_submission
from impactcheck.core.registry import resolve_ruleset
from impactcheck.word import annex_docx, insert_section, render_chart_png, standalone_section_docx
r = evaluate_submission(resolve_ruleset("kassel-2030"),
                        load_submission({str(ROOT / "rules/examples/kassel-2030/gasheizung-kita.yaml")!r}))
insert_section(standalone_section_docx(r), r, annex="separate")
annex_docx(r)
render_chart_png(r)
print(sorted({{m.split(".")[0] for m in sys.modules}} & set({FORBIDDEN!r})))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
