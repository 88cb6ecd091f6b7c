"""Fill a database with N submitted checks for bench/bench_register.py, the way a city's years look.

Two ways rows are made, and the bench says how many of each:

* through the real operations (`impactcheck.store.operations`): one check per example answers file of
  rules/examples/kassel-2030/ (72 papers, every verdict and quick-exit reason), each taken through one
  of the life cycles below (create, step saves, alternative, submit, review, new revision, outcome);
* replicas of those rows by bulk INSERT (COPY on PostgreSQL): the template's klimacheck, revision
  (answers, result JSON exactly as stored), check_sector and audit_log rows, copied with a new id and
  with what differs between papers varied: reference, title, department (20), committee, owner (200
  authors, a few writing most), reviewer, dates over five years, the council's outcome. The
  current-state columns are recomputed with `store.current.state_of` – the function operations use –
  so a replica's row is what operations would have written for that history.

The schema comes from the real migrations (`store.migrate.upgrade`), so the real indexes are measured.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import JSON, select, text  # noqa: E402

from impactcheck.store import current as current_state  # noqa: E402

PASSWORD = "bench-passwort-lang"
CLIMATE_USER = "klima1"
COUNCIL_USER = "rat1"
EXAMPLES = ROOT / "impactcheck" / "rules" / "examples" / "kassel-2030"

DEPARTMENTS = (
    "Amt für Hochbau und Gebäudebewirtschaftung",
    "Straßenverkehrs- und Tiefbauamt",
    "Umwelt- und Gartenamt",
    "Stadtplanung, Bauaufsicht und Denkmalpflege",
    "Schulverwaltungsamt",
    "Jugendamt",
    "Sozialamt",
    "Kulturamt",
    "Sportamt",
    "Amt für Statistik und Wahlen",
    "Personal- und Organisationsamt",
    "Kämmerei und Steuerverwaltung",
    "Liegenschaftsamt",
    "Feuerwehr",
    "Ordnungsamt",
    "Gesundheitsamt",
    "Amt für Wirtschaft und Arbeit",
    "Die Stadtreiniger",
    "Vermessung und Geoinformation",
    "Rechtsamt",
)
# A few departments write most papers (building, streets, planning, schools).
DEPARTMENT_WEIGHTS = (16, 14, 10, 10, 8, 6, 5, 4, 4, 2, 3, 4, 3, 3, 2, 1, 2, 1, 1, 1)
COMMITTEES = (
    "Bau- und Planungsausschuss",
    "Ausschuss für Stadtentwicklung, Mobilität und Verkehr",
    "Ausschuss für Umwelt und Energie",
    "Ausschuss für Schule, Jugend und Bildung",
    "Ausschuss für Soziales, Gesundheit und Sport",
    "Kulturausschuss",
    "Haupt- und Finanzausschuss",
    "Ausschuss für Recht, Sicherheit und Integration",
    "Ausschuss für Wirtschaft und Digitalisierung",
    "Stadtverordnetenversammlung",
)
# The committee a department's papers usually go to (index into COMMITTEES).
HOME_COMMITTEE = (0, 1, 2, 0, 3, 3, 4, 5, 4, 6, 6, 6, 6, 7, 7, 4, 8, 2, 0, 7)
DISTRICTS = (
    "Mitte",
    "Südstadt",
    "Vorderer Westen",
    "Wehlheiden",
    "Bad Wilhelmshöhe",
    "Brasselsberg",
    "Süsterfeld-Helleböhn",
    "Harleshausen",
    "Kirchditmold",
    "Rothenditmold",
    "Nord-Holland",
    "Philippinenhof-Warteberg",
    "Fasanenhof",
    "Wesertor",
    "Wolfsanger-Hasenhecke",
    "Bettenhausen",
    "Forstfeld",
    "Waldau",
    "Niederzwehren",
    "Oberzwehren",
    "Nordshausen",
    "Jungfernkopf",
    "Unterneustadt",
)
SEARCH_TERM = "Harleshausen"  # one district of 23: about 4 % of the titles

AUTHORS = 200
CLIMATE = 5
COUNCIL = 3
YEARS = 5

# Verdict classes as a city's papers fall (most papers take the quick exit).
CLASS_WEIGHTS = {"not_relevant": 45, "neutral": 20, "positive": 22, "negative": 13}
# Life cycles, taken by each template through the real operations.
PATTERNS = {
    "submitted": 12,  # waiting for the climate department
    "approved": 60,
    "returned": 5,
    "approved_then_draft": 6,  # approved; the author is writing a new revision
    "approved_twice": 12,  # revised after approval, submitted and approved again
    "returned_resubmitted": 5,  # returned, revised, submitted again
}
OUTCOME_WEIGHTS = {
    "adopted": 70,
    "adopted_alternative": 0,  # only for checks with an alternative, see _outcome
    "adopted_changed": 8,
    "rejected": 6,
    "withdrawn": 4,
    "deferred": 4,
}
NOTES = (
    "Die Dachfläche wird für Photovoltaik vorbereitet.",
    "Statt Gas wird eine Wärmepumpe eingebaut.",
    "Der Stellplatzschlüssel wurde gesenkt.",
    "Die Beschaffung verlangt nun Ökostrom.",
)


@dataclass
class Template:
    check: dict[str, Any]  # raw klimacheck row (DBAPI values as stored)
    revisions: list[dict[str, Any]]
    sectors: list[dict[str, Any]]
    audit: list[dict[str, Any]]
    verdict: str
    pattern: str
    results: dict[int, Any] = field(default_factory=dict)  # revision id -> parsed result (parsed once)


@dataclass
class FillReport:
    n: int
    through_operations: int
    replicated: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds_operations: float = 0.0
    seconds_bulk: float = 0.0
    size_mb: float | None = None


def prepare_config(url: str, instance: Path) -> dict[str, Any]:
    return {
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(instance),
        "MUNICIPALITY_SLUG": "default",
        "MUNICIPALITY_NAME": None,
        "DEFAULT_RULESET": "kassel-2030",
        "RULESETS": None,
        "RULES_DIR": None,
    }


# --- the real operations ----------------------------------------------------------------------


def _examples() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(EXAMPLES.glob("*/*.yaml")):
        out.append((f"{path.parent.name}/{path.stem}", yaml.safe_load(path.read_text(encoding="utf-8"))))
    return out


def _answer(s, ops, ruleset, actor, revision, answers: dict[str, Any], alternative: bool) -> None:
    """One save per wizard step, as the wizard does."""
    for step in ruleset.all_steps:
        values = {q.id: answers[q.id] for q in step.questions if q.id in answers}
        if values:
            ops.save_step(
                s,
                actor,
                revision,
                step_id=step.id,
                values=values,
                expected_version=revision.version,
                alternative=alternative,
            )


def _submit(s, ops, ruleset, actor, check) -> None:
    revision = check.current
    try:
        ops.submit(s, actor, check, ruleset, expected_version=revision.version)
    except ops.OperationError:  # a negative alternative needs a written justification
        ops.submit(
            s,
            actor,
            check,
            ruleset,
            expected_version=revision.version,
            justification="Die Maßnahme ist rechtlich geboten; die Variante ist nicht finanzierbar.",
        )


def _review(s, ops, reviewer, check, decision: str) -> None:
    revision = ops.latest_submitted(check)
    comment = "" if decision == "approve" else "Bitte die Heizlast und die Fläche ergänzen."
    ops.review(s, reviewer, check, decision=decision, comment=comment, expected_version=revision.version)


def through_operations(database, municipality_id: int) -> tuple[list[int], dict[str, str]]:
    """Users and one real check per example file, each through one life cycle. Returns the check ids
    and {check id: pattern}."""
    from impactcheck.core.registry import resolve_ruleset
    from impactcheck.store import operations as ops
    from impactcheck.store.models import Municipality

    ruleset = resolve_ruleset("kassel-2030")
    previous = ops.PASSWORD_METHOD
    ops.PASSWORD_METHOD = "pbkdf2:sha256:1000"  # 200 accounts; logins are not what is measured
    patterns: dict[str, str] = {}
    ids = []
    try:
        with database.session() as s:
            municipality = s.get(Municipality, municipality_id)

            def user(name: str, role: str, display: str):
                return ops.create_user(
                    s,
                    None,
                    municipality=municipality,
                    username=name,
                    password=PASSWORD,
                    role=role,
                    display_name=display,
                )

            authors = [user(f"autor{i:03d}", "author", f"Autor {i:03d}") for i in range(AUTHORS)]
            reviewers = [user(f"klima{i + 1}", "climate", f"Klimaschutz {i + 1}") for i in range(CLIMATE)]
            for i in range(COUNCIL):
                user(f"rat{i + 1}", "council", f"Ratsmitglied {i + 1}")
            user("verwaltung", "admin", "Administration")
            by_class: dict[str, int] = {}
            names = list(PATTERNS)
            for k, (_name, data) in enumerate(_examples()):
                verdict = data.get("expected_verdict") or "neutral"
                pattern = names[by_class.get(verdict, 0) % len(names)]
                by_class[verdict] = by_class.get(verdict, 0) + 1
                author = authors[k % len(authors)]
                reviewer = reviewers[k % len(reviewers)]
                paper = ops.PaperData(
                    reference=str(data["paper"]["reference"]),
                    title=str(data["paper"]["title"]),
                    department=DEPARTMENTS[k % len(DEPARTMENTS)],
                    committee=COMMITTEES[HOME_COMMITTEE[k % len(DEPARTMENTS)]],
                )
                check = ops.create_check(s, author, paper=paper, ruleset=ruleset)
                revision = check.current
                _answer(s, ops, ruleset, author, revision, data["answers"], alternative=False)
                if "alternative" in data:
                    ops.set_alternative(
                        s,
                        author,
                        revision,
                        description=data["alternative"]["description"],
                        expected_version=revision.version,
                    )
                    merged = {**data["answers"], **data["alternative"]["answers"]}
                    alt = {key: v for key, v in merged.items() if v is not None}
                    _answer(s, ops, ruleset, author, revision, alt, alternative=True)
                _submit(s, ops, ruleset, author, check)
                if pattern != "submitted":
                    _review(s, ops, reviewer, check, "return" if pattern.startswith("returned") else "approve")
                if pattern in ("approved_then_draft", "approved_twice", "returned_resubmitted"):
                    ops.new_revision(s, author, check)
                    if pattern != "approved_then_draft":
                        _submit(s, ops, ruleset, author, check)
                    if pattern == "approved_twice":
                        _review(s, ops, reviewer, check, "approve")
                if pattern.startswith("approved") and k % 3 == 0:
                    outcome = "adopted_alternative" if check.alternative_verdict else "adopted"
                    ops.record_outcome(
                        s,
                        reviewer,
                        check,
                        ops.OutcomeData(outcome=outcome, date=dt.date.today(), changed="partly", note=NOTES[0]),
                    )
                ids.append(check.id)
                patterns[check.id] = pattern
            s.commit()
    finally:
        ops.PASSWORD_METHOD = previous
    return ids, patterns


# --- reading the templates raw ----------------------------------------------------------------


def _columns(table) -> list[str]:
    return [c.name for c in table.columns]


def _select_raw(conn, table, where: str) -> list[dict[str, Any]]:
    """Rows as the driver returns them; JSON columns as their stored text (copied verbatim)."""
    pg = conn.dialect.name == "postgresql"
    cols = []
    for c in table.columns:
        name = f'"{c.name}"'
        cols.append(f"{name}::text AS {name}" if pg and isinstance(c.type, JSON) else name)
    sql = f"SELECT {', '.join(cols)} FROM {table.name} WHERE {where} ORDER BY 1"
    result = conn.exec_driver_sql(sql)
    return [dict(zip(_columns(table), row, strict=True)) for row in result.fetchall()]


def load_templates(engine, ids: list[int], patterns: dict[int, str]) -> list[Template]:
    from impactcheck.store.models import AuditEntry, Check, CheckSector, Revision

    idlist = ",".join(str(int(i)) for i in ids)
    with engine.connect() as conn:
        checks = _select_raw(conn, Check.__table__, f"id IN ({idlist})")
        revisions = _select_raw(conn, Revision.__table__, f"check_id IN ({idlist})")
        sectors = _select_raw(conn, CheckSector.__table__, f"check_id IN ({idlist})")
        audit = _select_raw(conn, AuditEntry.__table__, f"check_id IN ({idlist})")
    out = []
    for check in checks:
        cid = check["id"]
        out.append(
            Template(
                check=check,
                revisions=sorted((r for r in revisions if r["check_id"] == cid), key=lambda r: r["number"]),
                sectors=[r for r in sectors if r["check_id"] == cid],
                audit=sorted((r for r in audit if r["check_id"] == cid), key=lambda r: r["id"]),
                verdict=check["verdict"],
                pattern=patterns[cid],
            )
        )
        out[-1].results = {r["id"]: _json(r["result"]) for r in out[-1].revisions}
    return out


# --- replicas ---------------------------------------------------------------------------------


class Values:
    """Python values to what the driver gets, as SQLAlchemy would bind them for this dialect."""

    def __init__(self, engine):
        self.dialect = engine.dialect
        self._cache: dict[tuple[str, str], Any] = {}

    def __call__(self, table, column: str, value: Any) -> Any:
        key = (table.name, column)
        process = self._cache.get(key, self)
        if process is self:
            col = table.c[column]
            json_type = isinstance(col.type, JSON)
            process = self._cache[key] = json.dumps if json_type else col.type._cached_bind_processor(self.dialect)
        return process(value) if process is not None and value is not None else value


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _cumulative(weights) -> list[float]:
    return list(itertools.accumulate(weights))


def _minutes(rng: random.Random, low_days: float, high_days: float) -> dt.timedelta:
    return dt.timedelta(minutes=rng.uniform(low_days * 1440, high_days * 1440))


class Replicator:
    """Makes the rows of replica checks from the templates, with ids from the given starts."""

    def __init__(self, engine, templates: list[Template], starts: dict[str, int], seed: int):
        from impactcheck.store.models import AuditEntry, Check, CheckSector, Revision, User

        self.tables = {"klimacheck": Check.__table__, "revision": Revision.__table__}
        self.tables |= {"check_sector": CheckSector.__table__, "audit_log": AuditEntry.__table__}
        self.value = Values(engine)
        self.rng = random.Random(seed)
        self.next = dict(starts)
        self.pg = engine.dialect.name == "postgresql"
        with engine.connect() as conn:
            users = conn.execute(select(User.id, User.username, User.role)).all()
        self.authors = [u.id for u in users if u.role == "author"]
        self.reviewers = [u.id for u in users if u.role == "climate"]
        # A few authors write most papers (Zipf-like), each mostly for their own department.
        self.author_range = range(len(self.authors))
        self.author_cumulative = _cumulative(1 / (rank + 1) ** 0.8 for rank in self.author_range)
        self.department_range = range(len(DEPARTMENTS))
        self.department_cumulative = _cumulative(DEPARTMENT_WEIGHTS)
        self.buckets: dict[tuple[str, str], list[Template]] = {}
        for t in templates:
            self.buckets.setdefault((t.verdict, t.pattern), []).append(t)
        self.classes = {c: w for c, w in CLASS_WEIGHTS.items() if any(k[0] == c for k in self.buckets)}
        self.now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        self.seq: dict[tuple[int, int], int] = {}
        self.rows: dict[str, list[tuple]] = {name: [] for name in self.tables}
        self._columns = {name: _columns(table) for name, table in self.tables.items()}

    def columns(self, name: str) -> list[str]:
        return self._columns[name]

    def _id(self, name: str) -> int:
        value = self.next[name]
        self.next[name] += 1
        return value

    def _dt(self, table: str, column: str, value):
        return value if self.pg else self.value(self.tables[table], column, value)

    def _outcome(self, alt_verdict: str | None) -> str:
        weights = dict(OUTCOME_WEIGHTS)
        if alt_verdict:
            weights["adopted_alternative"] = 45
        return _weighted(self.rng, weights)

    def add(self) -> None:
        rng = self.rng
        verdict = _weighted(rng, self.classes)
        patterns = {p: w for p, w in PATTERNS.items() if (verdict, p) in self.buckets}
        t = rng.choice(self.buckets[(verdict, _weighted(rng, patterns))])
        owner_index = rng.choices(self.author_range, cum_weights=self.author_cumulative)[0]
        owner = self.authors[owner_index]
        dept = owner_index % len(DEPARTMENTS) if rng.random() < 0.9 else None
        if dept is None:
            dept = rng.choices(self.department_range, cum_weights=self.department_cumulative)[0]
        committee = COMMITTEES[HOME_COMMITTEE[dept]] if rng.random() < 0.75 else rng.choice(COMMITTEES)
        reviewer = rng.choice(self.reviewers)
        created = self.now - dt.timedelta(days=YEARS * 365) + _minutes(rng, 0, YEARS * 365 - 120)
        year = created.year % 100
        self.seq[(dept, year)] = self.seq.get((dept, year), 0) + 1
        reference = f"{101 + dept}.{year:02d}.{self.seq[(dept, year)]:04d}"
        base_title = t.check["title"]
        title = f"{base_title} – Standort {rng.choice(DISTRICTS)}"
        cid = self._id("klimacheck")

        # The revisions' timeline, in the order the template went through it.
        rev_ids = {}
        revisions = []
        namespaces = []
        moment = created
        for r in t.revisions:
            new = dict(r)
            new["id"] = rev_ids[r["id"]] = self._id("revision")
            new["check_id"] = cid
            created_r = moment if r["number"] == 1 else moment + _minutes(rng, 1, 20)
            submitted = created_r + _minutes(rng, 0.05, 14) if r["submitted_at"] is not None else None
            reviewed = submitted + _minutes(rng, 1, 45) if r["reviewed_at"] is not None else None
            updated = submitted or created_r + _minutes(rng, 0.01, 5)
            moment = reviewed or submitted or created_r
            new["created_at"] = self._dt("revision", "created_at", created_r)
            new["updated_at"] = self._dt("revision", "updated_at", updated)
            new["submitted_at"] = self._dt("revision", "submitted_at", submitted)
            new["reviewed_at"] = self._dt("revision", "reviewed_at", reviewed)
            new["submitted_by_id"] = owner if submitted else None
            new["reviewed_by_id"] = reviewer if reviewed else None
            revisions.append(new)
            namespaces.append(
                SimpleNamespace(
                    number=r["number"],
                    status=r["status"],
                    verdict=r["verdict"],
                    result=t.results[r["id"]],
                    t_co2e_per_year=r["t_co2e_per_year"],
                    exit_reason=r["exit_reason"],
                    fragile=bool(r["fragile"]),
                    flagged=bool(r["flagged"]),
                    open_points=r["open_points"],
                    ruleset_id=r["ruleset_id"],
                    ruleset_version=r["ruleset_version"],
                    submitted_at=submitted,
                    reviewed_at=reviewed,
                    reviewed_by_id=reviewer if reviewed else None,
                )
            )
        first_submit = namespaces[0].submitted_at
        meeting = (first_submit + _minutes(rng, 14, 70)).date()
        check = dict(t.check)
        check.update(
            id=cid,
            owner_id=owner,
            reference=reference,
            title=title,
            department=DEPARTMENTS[dept],
            committee=committee,
            meeting_date=self._dt("klimacheck", "meeting_date", meeting),
            created_at=self._dt("klimacheck", "created_at", created),
        )
        outcome = None
        if meeting < self.now.date() - dt.timedelta(days=7) and rng.random() < 0.8:
            alt = current_state.state_of(SimpleNamespace(outcome=None), namespaces)["alternative_verdict"]
            outcome = self._outcome(alt)
            changed = rng.choices(("no", "partly", "yes"), weights=(70, 20, 10))[0]
            note = rng.choice(NOTES) if changed != "no" else None
            recorded = dt.datetime.combine(meeting, dt.time(9)) + _minutes(rng, 1, 30)
            by = owner if rng.random() < 0.6 else reviewer
            check.update(
                outcome=outcome,
                outcome_date=self._dt("klimacheck", "outcome_date", meeting),
                outcome_changed=changed,
                outcome_note=note,
                outcome_recorded_at=self._dt("klimacheck", "outcome_recorded_at", recorded),
                outcome_by_id=by,
            )
        else:
            check.update(outcome=None, outcome_date=None, outcome_changed=None, outcome_note=None)
            check.update(outcome_recorded_at=None, outcome_by_id=None)
        state = current_state.state_of(SimpleNamespace(outcome=outcome), namespaces)
        for key, value in state.items():
            check[key] = self.value(self.tables["klimacheck"], key, value) if not self.pg else value
        self.rows["klimacheck"].append(tuple(check[c] for c in self.columns("klimacheck")))
        for r in revisions:
            self.rows["revision"].append(tuple(r[c] for c in self.columns("revision")))
        for sector in t.sectors:
            self.rows["check_sector"].append(
                tuple({**sector, "check_id": cid}[c] for c in self.columns("check_sector"))
            )
        self._audit(t, cid, rev_ids, revisions, owner, reviewer, reference, check, outcome)

    def _audit(self, t, cid, rev_ids, revisions, owner, reviewer, reference, check, outcome) -> None:
        by_rev = {r["id"]: r for r in revisions}
        template_owner = t.check["owner_id"]
        for entry in t.audit:
            action = entry["action"]
            if action == "check.outcome":
                continue  # the replica's own outcome below
            new = dict(entry)
            new["id"] = self._id("audit_log")
            new["check_id"] = cid
            new["user_id"] = owner if entry["user_id"] == template_owner else reviewer
            rev = by_rev.get(rev_ids.get(entry["revision_id"]))
            new["revision_id"] = rev["id"] if rev else None
            if action in ("check.approve", "check.return") and rev:
                at = rev["reviewed_at"]
            elif action == "check.submit" and rev:
                at = rev["submitted_at"]
            elif rev:
                at = rev["created_at"]
            else:
                at = check["created_at"]
            new["at"] = at
            if action == "check.create":
                detail = _json(entry["detail"])
                new["detail"] = json.dumps({**detail, "reference": reference})
            self.rows["audit_log"].append(tuple(new[c] for c in self.columns("audit_log")))
        if outcome is not None:
            detail = {
                "outcome": outcome,
                "date": _as_date(check["outcome_date"]).isoformat(),
                "changed": check["outcome_changed"],
                "note": check["outcome_note"] or "",
                "before": {"outcome": None, "date": None},
            }
            values = {
                "id": self._id("audit_log"),
                "at": check["outcome_recorded_at"],
                "municipality_id": check["municipality_id"],
                "user_id": check["outcome_by_id"],
                "action": "check.outcome",
                "check_id": cid,
                "revision_id": None,
                "detail": json.dumps(detail),
            }
            self.rows["audit_log"].append(tuple(values[c] for c in self.columns("audit_log")))

    def take(self) -> dict[str, list[tuple]]:
        rows, self.rows = self.rows, {name: [] for name in self.tables}
        return rows


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _as_date(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


# --- bulk writing -----------------------------------------------------------------------------

ORDER = ("klimacheck", "revision", "check_sector", "audit_log")


def _write_sqlite(dbapi, columns: dict[str, list[str]], rows: dict[str, list[tuple]]) -> None:
    cur = dbapi.cursor()
    for name in ORDER:
        if rows[name]:
            cols = columns[name]
            sql = f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            cur.executemany(sql, rows[name])
    cur.close()


def _write_postgres(dbapi, columns: dict[str, list[str]], rows: dict[str, list[tuple]]) -> None:
    with dbapi.cursor() as cur:
        for name in ORDER:
            if rows[name]:
                cols = ", ".join(f'"{c}"' for c in columns[name])
                with cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
                    for row in rows[name]:
                        copy.write_row(row)


class SecondaryStructures:
    """The tables' secondary indexes and (PostgreSQL) foreign keys, as the migrations made them: taken
    off before the bulk load and put back after it from their own stored definitions, so the same
    indexes are measured and every foreign key is checked once, in bulk, when it is added again."""

    def __init__(self, conn, tables: tuple[str, ...]):
        self.pg = conn.dialect.name == "postgresql"
        names = ", ".join(f"'{t}'" for t in tables)
        if self.pg:
            self.foreign_keys = conn.exec_driver_sql(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                f"WHERE contype = 'f' AND conrelid::regclass::text IN ({names})"
            ).fetchall()
            self.indexes = conn.exec_driver_sql(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
                f"AND i.tablename IN ({names}) AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
            ).fetchall()
        else:
            self.foreign_keys = []  # SQLite checks each row against an index: cheap enough
            self.indexes = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({names})"
            ).fetchall()

    def drop(self, cur) -> None:
        for table, name, _definition in self.foreign_keys:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in self.indexes:
            cur.execute(f'DROP INDEX "{name}"')

    def restore(self, cur) -> None:
        if self.pg:
            cur.execute("SET maintenance_work_mem = '256MB'")
        for _name, definition in self.indexes:
            cur.execute(definition)
        for table, name, definition in self.foreign_keys:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def fill(url: str, instance: Path, n: int, seed: int = 2026, log=print) -> FillReport:
    """A migrated database at `url` (empty) with n checks; see the module docstring."""
    from impactcheck.bootstrap import prepare
    from impactcheck.store.models import AuditEntry, Check, CheckSector, Revision

    t0 = time.perf_counter()
    prepared = prepare(prepare_config(url, instance), create_admin=False)  # the real migrations
    database = prepared.database
    engine = database.engine
    ids, patterns = through_operations(database, prepared.municipality_id)
    t1 = time.perf_counter()
    report = FillReport(n=n, through_operations=len(ids), replicated=max(0, n - len(ids)))
    report.seconds_operations = t1 - t0
    templates = load_templates(engine, ids, patterns)
    with engine.connect() as conn:
        starts = {
            "klimacheck": conn.scalar(text("SELECT COALESCE(MAX(id), 0) + 1 FROM klimacheck")),
            "revision": conn.scalar(text("SELECT COALESCE(MAX(id), 0) + 1 FROM revision")),
            "audit_log": conn.scalar(text("SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log")),
        }
    replicator = Replicator(engine, templates, starts, seed)
    columns = {name: replicator.columns(name) for name in ORDER}
    pg = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        secondary = SecondaryStructures(conn, ORDER)
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        cur = dbapi.cursor()
        if not pg:
            cur.execute("BEGIN")
        secondary.drop(cur)
        batch = 5000
        done = 0
        while done < report.replicated:
            for _ in range(min(batch, report.replicated - done)):
                replicator.add()
            done += min(batch, report.replicated - done)
            rows = replicator.take()
            for name, r in rows.items():
                report.rows[name] = report.rows.get(name, 0) + len(r)
            (_write_postgres if pg else _write_sqlite)(dbapi, columns, rows)
        secondary.restore(cur)
        cur.close()
        dbapi.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        if pg:
            for table in ("klimacheck", "revision", "audit_log"):
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
                )
    if pg:  # what autovacuum does within a minute of a bulk load
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    with engine.connect() as conn:
        for model in (Check, Revision, CheckSector, AuditEntry):
            report.rows[model.__tablename__] = conn.scalar(text(f"SELECT COUNT(*) FROM {model.__tablename__}"))
        if pg:
            report.size_mb = conn.scalar(text("SELECT pg_database_size(current_database())")) / 1e6
    if not pg:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        path = Path(engine.url.database)
        report.size_mb = sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6
    report.seconds_bulk = time.perf_counter() - t1
    verify_sample(database, seed)
    database.dispose()
    return report


def verify_sample(database, seed: int, k: int = 200) -> None:
    """Replicas agree with the one definition: the current-state columns and sector figures of a
    sample, recomputed from their revisions through the ORM, equal what is stored."""
    from impactcheck.store.models import Check, CheckSector

    rng = random.Random(seed + 1)
    with database.session() as s:
        top = s.scalar(select(Check.id).order_by(Check.id.desc()).limit(1)) or 0
        for cid in {rng.randint(1, top) for _ in range(k)}:
            check = s.get(Check, cid)
            if check is None:
                continue
            state = current_state.state_of(check, check.revisions)
            stored = {key: getattr(check, key) for key in state}
            if stored != state:
                diff = {key: (stored[key], state[key]) for key in state if stored[key] != state[key]}
                raise SystemExit(f"replica {cid} disagrees with state_of: {diff}")
            filed = current_state.latest_filed(check.revisions)
            want = sorted(
                (f["variant"], f["sector"], f["score"], f["t_co2e_per_year"], f["t_co2e_once"])
                for f in current_state.sector_figures(filed.result if filed else None)
            )
            have = sorted(
                (r.variant, r.sector, r.score, r.t_co2e_per_year, r.t_co2e_once)
                for r in s.scalars(select(CheckSector).where(CheckSector.check_id == cid))
            )
            if want != have:
                raise SystemExit(f"replica {cid}: sector figures differ from its result")
