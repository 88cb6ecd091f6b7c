"""Fast starts: nothing heavy on the way to a command (issue 10, point 5), charts included (issue 12).

Each probe runs in a fresh interpreter (this process has long imported everything), and reports which
of the heavy modules it ended up with. The Word chart is a native chart written as XML, and the web page's
chart inline SVG: no plotting library anywhere. The probes can fail, they are not blind: they see lxml
where a section is built, and the chart part in the file written.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import zipfile

import docx
import pytest

from tests.support import ROOT, RULES

HEAVY = ("matplotlib", "numpy", "PIL", "flask", "sqlalchemy", "docx", "lxml", "openpyxl")
EXAMPLE = RULES / "examples" / "kassel-2030" / "parkhaus-neubau" / "schaetzt.yaml"  # negative, with a chart

CLI_PROBE = """
import json, sys
from impactcheck.cli import main
try:
    main({args!r})
except SystemExit as exc:
    code = exc.code
print(json.dumps({{"exit": code, "loaded": sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))}}))
"""


def _probe(source: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, check=False, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _cli(*args: str) -> dict:
    return _probe(CLI_PROBE.format(args=list(args), heavy=HEAVY))


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    path = tmp_path_factory.mktemp("startup") / "vorlage.docx"
    d = docx.Document()
    d.add_heading("Beschlussvorlage 101.26.0815", 1)
    for _ in range(40):
        d.add_paragraph("Der Magistrat wird beauftragt, die Maßnahme umzusetzen. " * 4)
    d.save(path)
    return path


def test_help_imports_nothing_heavy():
    report = _cli("--help")
    assert report["exit"] == 0
    assert report["loaded"] == []


def test_docx_insert_with_or_without_chart_imports_no_plotting_library(paper, tmp_path):
    out = tmp_path / "mit-chart.docx"
    args = ["docx", "insert", "--rules", "kassel-2030", "--answers", str(EXAMPLE), str(paper), "-o"]
    without = _cli(*args, str(tmp_path / "ohne.docx"), "--no-chart")
    assert without["exit"] == 0
    assert "lxml" in without["loaded"]  # it did build the section
    with_chart = _cli(*args, str(out))
    assert with_chart["exit"] == 0
    for report in (without, with_chart):
        assert not {"matplotlib", "numpy", "PIL", "openpyxl"} & set(report["loaded"]), report
    assert (tmp_path / "ohne.docx").stat().st_size < out.stat().st_size  # the chart is only in one of them
    assert "word/charts/klimacheck-diagramm.xml" in zipfile.ZipFile(out).namelist()


WEB_PROBE = textwrap.dedent(
    """
    import json, sys, tempfile
    from impactcheck.app import create_app
    from impactcheck.bootstrap import prepare
    from impactcheck.store import operations as ops
    from impactcheck.store.models import Municipality
    from tests.web.conftest import Browser, PASSWORD, _config
    from tests.web.flows import submit_example

    ops.PASSWORD_METHOD = "pbkdf2:sha256:1000"
    folder = tempfile.mkdtemp()
    url = f"sqlite:///{folder}/db.sqlite3"
    prepared = prepare(_config(url, folder), create_admin=False)
    with prepared.database.session() as s:
        m = s.get(Municipality, prepared.municipality_id)
        ops.create_user(s, None, municipality=m, username="klima", password=PASSWORD, role="climate")
        s.commit()
    prepared.database.dispose()
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": url, "INSTANCE_PATH": folder})
    b = Browser(app.test_client())
    b.login("klima")
    check_id = submit_example(b, "parkhaus-neubau/schaetzt")
    pages = ["/uebersicht", "/klimachecks", f"/klimachecks/{check_id}", f"/klimachecks/{check_id}/ergebnis.json",
             "/register", "/register/export.csv", "/register/export.xlsx", "/beschluesse-nachtragen"]
    status = {p: b.get(p).status_code for p in pages}
    page = b.get(f"/klimachecks/{check_id}").get_data(as_text=True)
    print(json.dumps({"status": status, "plotting": "matplotlib" in sys.modules,
                      "show_chart": 'aria-labelledby="result-sectors-title' in page}))
    """
)


def test_web_pages_draw_their_charts_without_a_plotting_library():
    report = _probe(WEB_PROBE)
    assert report["plotting"] is False, report
    assert report["show_chart"] is True  # the result page shows the sector chart (inline SVG)
    assert set(report["status"].values()) == {200}, report  # the pages were really rendered


EXIT_PROBE = """
import atexit, gc, sys
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0))  # runs after the command
sys.argv = ["impactcheck", *{args!r}]
from impactcheck.cli import entry
entry()
"""


def _exit_probe(*args: str, env: dict[str, str] | None = None) -> str:
    """`impactcheck ARGS` through the process's entry point; its stdout, ending with whether it froze."""
    proc = subprocess.run(
        [sys.executable, "-c", EXIT_PROBE.format(args=args)], capture_output=True, text=True, check=False,
        cwd=ROOT, timeout=120, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip()


def test_the_command_freezes_its_objects_out_of_the_last_collection():
    out = _exit_probe("--help")
    assert "Klimacheck" in out  # the command itself ran
    assert out.endswith("frozen at exit: True")


def test_main_in_a_test_process_freezes_nothing(capsys):
    import gc

    from tests.support import run_cli

    before = gc.get_freeze_count()
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0 and "Klimacheck" in out
    assert gc.get_freeze_count() == before


def test_a_command_that_used_the_database_closes_it_at_exit(tmp_path):
    instance = tmp_path / "instance"
    env = {**os.environ, "IMPACTCHECK_INSTANCE": str(instance)}
    env.pop("IMPACTCHECK_DATABASE_URL", None)
    assert _exit_probe("db", "upgrade", env=env).endswith("frozen at exit: False")
    files = sorted(p.name for p in instance.iterdir() if p.name.startswith("impactcheck.sqlite3"))
    assert files == ["impactcheck.sqlite3"], files  # the WAL was checkpointed into the file and removed
    with sqlite3.connect(instance / "impactcheck.sqlite3") as con:  # the schema is in the file itself
        assert con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'").fetchone() == (1,)
