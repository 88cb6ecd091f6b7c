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


# Connection.info key: the connection's transaction has sent a statement other than a plain SELECT
# since it began. Set for every statement that reaches the database – ORM flushes, Core, bulk operations,
# driver SQL, savepoints – and cleared when the transaction ends (a savepoint's end keeps it).
WROTE = "impactcheck.wrote"
_READ_ONLY = ("SELECT", "PRAGMA")  # a SELECT … FOR UPDATE only locks; SQLite's PRAGMAs of a connect


def _note_statement(conn, _cursor, statement: str, _params, context, _executemany) -> None:
    head = statement.lstrip()[:6].upper()
    writes = context is not None and (context.isinsert or context.isupdate or context.isdelete)
    if writes or not head.startswith(_READ_ONLY):  # a WITH … may hold an UPDATE: counted as a write
        conn.info[WROTE] = True


def _transaction_ended(conn) -> None:
    conn.info.pop(WROTE, None)


def wrote(s: Session) -> bool:
    """Whether the session's open transaction has written anything (see WROTE)."""
    return s.in_transaction() and bool(s.connection().info.get(WROTE))


class Database:
    """One engine and its session factory; the web app and the CLI each hold one."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.engine, "before_cursor_execute", _note_statement)
        event.listen(self.engine, "commit", _transaction_ended)
        event.listen(self.engine, "rollback", _transaction_ended)
        # The flag lives with the pooled connection: never let it outlast the connection's checkout.
        event.listen(self.engine, "checkin", lambda _dbapi, record: record.info.pop(WROTE, None))

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
        if failed or s.new or s.dirty or s.deleted or wrote(s):
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
