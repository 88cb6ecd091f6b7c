"""A check stored under kassel-2030 version 2026.1, as it was stored, and how it rendered then.

The fixture files in tests/fixtures/kassel-2030-2026.1/ were written by `python -m tests.web.old_catalogue`
while 2026.1 was the shipped catalogue: the stored Result JSON of two checks (with and without an
alternative), the rule text they were evaluated with, and the result page and Word section as they
rendered (the catalogue itself is archived in rules/archive/kassel-2030-2026.1/). Later catalogue
versions and renderers must leave those renderings exactly as they were.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

from docx import Document
from sqlalchemy import select

from impactcheck.store.current import sector_figures, state_of
from impactcheck.store.models import Check, CheckSector, Revision, User

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kassel-2030-2026.1"
NAMES = ("gasheizung-kita", "strassenumbenennung")
SUBMITTED_AT = dt.datetime(2026, 11, 20, 9, 30)


def store_old_check(s, name: str) -> int:
    """Insert the stored revision exactly as 2026.1 left it (no recomputation)."""
    stored = json.loads((FIXTURES / f"{name}.result.json").read_text(encoding="utf-8"))
    owner = s.scalar(select(User).where(User.username == "author"))
    paper = stored["paper"]
    check = Check(
        municipality_id=owner.municipality_id,
        owner_id=owner.id,
        reference=paper["reference"],
        title=paper["title"],
        department=paper["department"],
        committee=paper["committee"],
        created_at=SUBMITTED_AT,
    )
    s.add(check)
    s.flush()
    s.add(
        Revision(
            check_id=check.id,
            number=1,
            status="submitted",
            ruleset_id="kassel-2030",
            ruleset_version="2026.1",
            ruleset_sha256=stored["ruleset"]["sha256"],
            answers={a["id"]: a["value"] for a in stored["answers"]},
            result=stored,
            verdict=stored["verdict"],
            t_co2e_per_year=stored["emissions"]["t_co2e_per_year"],
            submitted_at=SUBMITTED_AT,
            submitted_by_id=owner.id,
            created_at=SUBMITTED_AT,
            updated_at=SUBMITTED_AT,
        )
    )
    s.flush()
    # The current state as migration 0004 fills it for checks stored before it.
    s.refresh(check)
    for key, value in state_of(check, check.revisions).items():
        setattr(check, key, value)
    s.add_all(CheckSector(check_id=check.id, **f) for f in sector_figures(stored))
    s.commit()
    return check.id


_VOLATILE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+|(/klimachecks/)\d+|(Klimacheck )\d+(-\d+)')


def result_main(html: str) -> str:
    """The page's <main>, without what differs per run (CSRF token, database ids)."""
    main = html[html.index("<main") : html.index("</main>")]
    main = re.sub(r'value="[A-Za-z0-9._-]{40,}"', 'value="TOKEN"', main)
    return re.sub(r"/klimachecks/\d+", "/klimachecks/ID", main)


def section_text(docx: bytes) -> str:
    """Every paragraph and table cell of a Word section, in order."""
    doc = Document(io.BytesIO(docx))
    out = []
    body = doc.element.body
    for block in body.iterchildren():
        for p in block.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p"):
            text = "".join(
                t.text or "" for t in p.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t")
            )
            if text.strip():
                out.append(text)
    return "\n".join(out) + "\n"


def _write() -> None:  # pragma: no cover - run by hand while 2026.1 was current
    from impactcheck.core.answers import load_submission
    from impactcheck.core.evaluate import evaluate
    from impactcheck.core.loader import load_ruleset
    from tests.support import ARCHIVE

    FIXTURES.mkdir(parents=True, exist_ok=True)
    rs = load_ruleset(ARCHIVE / "kassel-2030.yaml")  # written while this was rules/kassel-2030.yaml
    assert rs.version == "2026.1"
    for name in NAMES:
        sub = load_submission(ARCHIVE / "examples" / "kassel-2030" / f"{name}.yaml")
        # 2026.1 had no sensitivity analysis; its Results carry none.
        result = evaluate(rs, sub.answers, alternative=sub.alternative, paper=sub.paper, sensitivity=False)
        (FIXTURES / f"{name}.result.json").write_text(
            json.dumps(result.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":  # pragma: no cover
    _write()
