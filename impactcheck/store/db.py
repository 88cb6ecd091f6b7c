"""Engine and sessions for SQLite (embedded default) and PostgreSQL, with the same portable SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised on every connect
            cur = dbapi_conn.cursor()
            # WAL lets readers work while one writer writes; busy_timeout waits for a lock
            # instead of failing at once; foreign keys are off in SQLite unless asked for.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


# Session.info key: the session's transaction has written (flushed, or run a statement other than a
# SELECT) since it began.
WROTE = "impactcheck.wrote"


def _wrote(session: Session, *_args) -> None:
    session.info[WROTE] = True


def _wrote_unless_select(state) -> None:
    if not state.is_select:
        _wrote(state.session)


def _transaction_ended(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost one: a savepoint's end leaves the flag as it is
        session.info.pop(WROTE, None)


class Database:
    """One engine and its session factory; the web app and the CLI each hold one."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.sessions, "after_flush", _wrote)
        event.listen(self.sessions, "do_orm_execute", _wrote_unless_select)
        event.listen(self.sessions, "after_transaction_end", _transaction_ended)

    def session(self) -> Session:
        return self.sessions()

    def dispose(self) -> None:
        self.engine.dispose()


def finish(s: Session, failed: bool) -> None:
    """End a request's session. Whatever was written and not committed is rolled back. A transaction
    that only read ends with COMMIT, which for the data is the same: psycopg discards all prepared
    statements of a connection at every ROLLBACK, so with a ROLLBACK after each page PostgreSQL planned
    nearly every statement afresh (COMMIT: 45 % less database CPU under bench/bench_load.py's flow)."""
    try:
        if failed or s.info.get(WROTE) or s.new or s.dirty or s.deleted:
            s.rollback()
        else:
            try:
                s.commit()
            except SQLAlchemyError:  # only read: nothing to lose, and the page is already made
                s.rollback()
    finally:
        s.close()


def insert_or_ignore(s: Session, table: Table, values: dict[str, Any], key: list[str]) -> bool:
    """Add the row unless one with the same `key` exists (or is being added by a concurrent transaction,
    which this waits for); True if this call added it.

    `INSERT … ON CONFLICT (key) DO NOTHING RETURNING` is the same SQL on SQLite (3.35 and later) and PostgreSQL;
    unlike "look, then insert" it cannot lose a race, and unlike a failed INSERT it leaves the
    transaction usable.
    """
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(**values).on_conflict_do_nothing(index_elements=key)
    # RETURNING tells whether the row was added (psycopg reports no rowcount for this statement).
    return s.execute(stmt.returning(table.c[key[0]])).first() is not None


def lock_row(s: Session, table: Table, ident: int) -> None:
    """Hold a write lock on one row until the transaction ends: a second request that does the same
    waits here and afterwards reads what the first one wrote.

    PostgreSQL locks the row (`SELECT … FOR NO KEY UPDATE`: rows that merely refer to it, such as
    audit entries, are not held up). SQLite has no row locks; any write takes the database's single
    write lock, so an UPDATE that changes nothing serialises the writers.
    """
    if s.get_bind().dialect.name == "postgresql":
        s.execute(select(table.c.id).where(table.c.id == ident).with_for_update(key_share=True))
    else:
        s.execute(text(f"UPDATE {table.name} SET id = id WHERE id = :id"), {"id": ident})
