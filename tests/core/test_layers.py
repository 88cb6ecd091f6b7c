"""The layering of DESIGN.md: the core and the headless commands load neither Flask nor SQLAlchemy."""

from __future__ import annotations

import subprocess
import sys

from tests.support import RULES, imported_modules

FORBIDDEN = ("flask", "flask_wtf", "flask_login", "flask_babel", "sqlalchemy", "alembic", "wtforms", "docx")


def test_core_sources_import_nothing_of_the_shell():
    imports = imported_modules("core")
    assert imports  # the walk found the core's imports at all
    for file, name in imports:
        assert name.split(".")[0] not in FORBIDDEN, f"{file} imports {name}"
        assert not name.startswith(("impactcheck.web", "impactcheck.store", "impactcheck.word")), (
            f"{file} imports {name}"
        )


PROBE = """
import sys
from impactcheck.cli import main
try:
    main({args!r})
except SystemExit as exc:
    code = exc.code
loaded = sorted({{m.split('.')[0] for m in sys.modules}} & {forbidden!r})
print("LOADED", loaded, "EXIT", code, file=sys.stderr)
"""


def _loaded_by(args):
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, forbidden=set(FORBIDDEN))],
        capture_output=True,
        text=True,
        check=False,
    )
    last = proc.stderr.strip().splitlines()[-1]
    assert "EXIT 0" in last, proc.stderr
    return last


def test_assess_loads_no_web_or_database_modules():
    example = str(RULES / "examples" / "kassel-2030" / "parkhaus-neubau/schaetzt.yaml")
    assert "LOADED []" in _loaded_by(["assess", "--rules", "kassel-2030", example])
    assert "LOADED []" in _loaded_by(["assess", "--rules", "kassel-2030", "--format", "text", example])


def test_rules_check_loads_no_web_or_database_modules():
    assert "LOADED []" in _loaded_by(["rules", "check"])
