"""`impactcheck municipalities add|edit|list` and `users add --municipality`, in-process on both
databases; bad input is one German line with exit 2; two `add` of one slug at once: one wins."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from impactcheck import cli
from impactcheck.store.models import AuditEntry, Municipality, User
from tests.support import ROOT
from tests.web.test_races import BARRIER

KEEP_ENV = ("IMPACTCHECK_TEST_POSTGRES_URL", "IMPACTCHECK_STRICT")


@pytest.fixture
def run(app, tmp_path, monkeypatch, capsys):
    """`impactcheck ARGS` in this process against the app's database; (exit status, stdout, stderr)."""
    monkeypatch.setenv("IMPACTCHECK_INSTANCE", str(tmp_path / "cli-instance"))
    monkeypatch.setenv("IMPACTCHECK_DATABASE_URL", app.config["DATABASE_URL"])

    def invoke(*args, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        with pytest.raises(SystemExit) as exited:
            cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return exited.value.code, out, err

    return invoke


def test_add_edit_and_list_a_municipality(run, db_session):
    code, out, err = run(
        "municipalities", "add", "arnstadt", "--name", "Stadt Arnstadt", "--timezone", "Europe/Vienna",
        "--rulesets", "kassel-2030,schnellcheck", "--default-ruleset", "schnellcheck", "--neutrality-year", "2035",
        "--oparl-endpoint", "https://ris.arnstadt.example/oparl/v1",
    )  # fmt: skip
    assert code == 0, err
    assert "Kommune „Stadt Arnstadt“ (arnstadt) angelegt; Regelwerke: schnellcheck, kassel-2030." in out
    arnstadt = db_session.scalar(select(Municipality).where(Municipality.slug == "arnstadt"))
    assert (arnstadt.timezone, arnstadt.rulesets, arnstadt.neutrality_year) == (
        "Europe/Vienna",
        ["schnellcheck", "kassel-2030"],
        2035,
    )
    assert arnstadt.oparl_endpoint == "https://ris.arnstadt.example/oparl/v1"
    code, out, err = run(
        "users", "add", "arn-admin", "--role", "admin", "--municipality", "arnstadt", stdin="ein-langes-passwort\n"
    )
    assert code == 0, err
    assert "in „Stadt Arnstadt“ angelegt" in out
    db_session.expire_all()
    user = db_session.scalar(select(User).where(User.username == "arn-admin"))
    assert user.municipality_id == arnstadt.id and not user.installation_admin
    assert run("municipalities", "edit", "arnstadt", "--timezone", "", "--neutrality-year", "0")[0] == 0
    db_session.expire_all()
    assert arnstadt.oparl_endpoint == "https://ris.arnstadt.example/oparl/v1"  # not given: unchanged
    assert run("municipalities", "edit", "arnstadt", "--oparl-endpoint", "")[0] == 0
    db_session.expire_all()
    assert arnstadt.oparl_endpoint is None  # empty: the installation's setting OPARL_ENDPOINT
    code, out, _ = run("municipalities", "list")
    assert code == 0
    lines = dict(line.split("\t", 1) for line in out.splitlines())
    assert lines["arnstadt"] == "Stadt Arnstadt\tEurope/Berlin (Installation)\tschnellcheck,kassel-2030\t–\t1 Konten"
    assert lines["nachbar"].startswith("Nachbargemeinde\t") and set(lines) == {"arnstadt", "default", "nachbar"}
    actions = db_session.scalars(
        select(AuditEntry.action).where(AuditEntry.municipality_id == arnstadt.id).order_by(AuditEntry.id)
    ).all()
    assert actions == ["municipality.create", "user.create", "municipality.update", "municipality.update"]


def test_users_add_can_make_an_installation_admin(run, db_session):
    code, _, err = run(
        "users", "add", "kreis", "--role", "admin", "--installation-admin", stdin="ein-langes-passwort\n"
    )
    assert code == 0, err
    assert db_session.scalar(select(User).where(User.username == "kreis")).installation_admin
    code, _, err = run("users", "add", "k2", "--role", "author", "--installation-admin", stdin="ein-langes-passwort\n")
    assert code == 2 and "nur mit --role admin" in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["municipalities", "add", "nachbar", "--name", "N"], "Die Kommune „nachbar“ gibt es schon."),
        (["municipalities", "add", "Groß", "--name", "N"], "Kürzel „Groß“ ungültig"),
        (
            ["municipalities", "add", "neu", "--name", "N", "--timezone", "Mitteleuropa"],
            "Zeitzone „Mitteleuropa“ unbekannt",
        ),
        (
            ["municipalities", "add", "neu", "--name", "N", "--rulesets", "gibtsnicht"],
            "Regelwerk „gibtsnicht“ unbekannt",
        ),
        (["municipalities", "add", "neu", "--name", "N", "--rulesets", "a,,b"], "--rulesets: „a,,b“ ungültig"),
        (["municipalities", "add", "neu", "--name", "N", "--neutrality-year", "3000"], "zwischen 2000 und 2100"),
        (["municipalities", "add", "neu", "--name", "  "], "Bitte geben Sie den Namen der Kommune an."),
        (
            ["municipalities", "add", "neu", "--name", "N", "--oparl-endpoint", "javascript:alert(1)"],
            "Die OParl-Adresse muss mit http:// oder https:// beginnen",
        ),
        (
            ["municipalities", "edit", "nirgends", "--name", "N"],
            "Kommune „nirgends“ gibt es nicht; vorhanden: default, nachbar",
        ),
        (["users", "add", "x1", "--role", "author", "--municipality", "nirgends"], "Kommune „nirgends“ gibt es nicht"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run, db_session, args, needle):
    code, _, err = run(*args, stdin="ein-langes-passwort\n")
    assert code == 2, err
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert db_session.scalar(select(Municipality).where(Municipality.slug == "neu")) is None


def test_two_adds_of_one_slug_at_once(app, tmp_path, db_session):
    """Both processes have looked before either inserts: one creates the municipality, the other is told
    in one line (exit 2) that it exists – never an internal error, never two rows."""
    folder = tmp_path / "barrier"
    folder.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("IMPACTCHECK_") or k in KEEP_ENV},
        "IMPACTCHECK_INSTANCE": str(tmp_path / "instance"),
        "IMPACTCHECK_DATABASE_URL": app.config["DATABASE_URL"],
        "PYTHONPATH": str(ROOT),
    }
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                BARRIER,
                str(folder),
                "INSERT INTO municipality",
                "municipalities",
                "add",
                "ilmenau",
                "--name",
                name,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for name in ("Stadt Ilmenau", "Ilmenau (zweiter Versuch)")
    ]
    outcomes = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert len(os.listdir(folder)) == 2, ("the two processes did not meet", outcomes)
    assert sorted(code for code, _, _ in outcomes) == [0, 2], outcomes
    refused = next(err for code, _, err in outcomes if code == 2)
    assert refused.strip() == "impactcheck: Die Kommune „ilmenau“ gibt es schon.", refused
    db_session.expire_all()
    rows = db_session.scalars(select(Municipality).where(Municipality.slug == "ilmenau")).all()
    assert len(rows) == 1
    created = db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "municipality.create", AuditEntry.municipality_id == rows[0].id)
    ).all()
    assert len(created) == 1


def test_the_first_admin_of_a_new_installation_runs_it(tmp_path):
    from impactcheck.bootstrap import prepare
    from tests.web.conftest import _config

    prepared = prepare(_config(f"sqlite:///{tmp_path / 'neu.sqlite3'}", tmp_path), create_admin=True)
    with prepared.database.session() as s:
        assert [(u.username, u.role, u.installation_admin) for u in s.scalars(select(User))] == [
            ("admin", "admin", True)
        ]
    prepared.database.dispose()
