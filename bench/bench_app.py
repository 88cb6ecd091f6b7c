"""The product's app plus one bench-only route, served the way `impactcheck serve` serves the product.

POST /bench/baseline writes one row (into a bench-only table) and one audit row, in one transaction, on
the same database and server as the wizard: the floor a wizard step is measured against (bench_load.py).
This factory lives under bench/ only; the shipped app has no such route.

    python bench/bench_app.py [--host H] [--port P] [--workers N] [--threads T]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, insert  # noqa: E402

METADATA = MetaData()
HITS = Table(
    "bench_hits",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("pid", Integer, nullable=False),
)


def create_bench_app():
    from impactcheck.app import create_app
    from impactcheck.store import operations as ops
    from impactcheck.store.models import utcnow
    from impactcheck.web.context import db
    from impactcheck.web.extensions import csrf

    app = create_app()

    @csrf.exempt
    def baseline():
        s = db()
        s.execute(insert(HITS).values(at=utcnow(), pid=os.getpid()))
        ops.audit(s, None, "bench.baseline", municipality_id=None)
        s.commit()
        return "ok\n", 200, {"Content-Type": "text/plain"}

    app.add_url_rule("/bench/baseline", "bench_baseline", baseline, methods=["POST"])
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    from impactcheck import serving, settings
    from impactcheck.bootstrap import prepare

    config = settings.load()
    settings.ensure_instance(config)
    prepared = prepare(config, create_admin=False)  # once, before any worker: as `serve` does
    METADATA.create_all(prepared.database.engine)
    prepared.database.dispose()
    serving.run(
        "bench.bench_app:create_bench_app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
    )


if __name__ == "__main__":
    main()
