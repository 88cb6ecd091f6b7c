"""How a request's transaction ends (store/db.finish): a page that only read commits – for the data the
same as a rollback, and psycopg keeps its prepared statements – while anything written and not committed
by the view is rolled back, however it was written. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, text, update

from impactcheck.store.models import User
from impactcheck.web.context import db

NAME = "Frau Author"


@pytest.fixture
def ends(app):
    """Test routes on the app, and the COMMITs and ROLLBACKs its engine sees."""

    def author() -> User:
        return db().scalar(select(User).where(User.username == "author"))

    @app.get("/_t/read")
    def read():
        return str(db().scalar(select(func.count()).select_from(User)))

    @app.get("/_t/flushed")
    def flushed():
        author().display_name = "Geändert"
        db().flush()
        return "ok"

    @app.get("/_t/pending")
    def pending():
        author().display_name = "Geändert"  # changed, not even flushed
        return "ok"

    @app.get("/_t/statement")
    def statement():
        db().execute(update(User).where(User.username == "author").values(display_name="Geändert"))
        return "ok"

    @app.get("/_t/text")
    def raw():
        db().execute(text("UPDATE app_user SET display_name = 'Geändert' WHERE username = 'author'"))
        return "ok"

    @app.get("/_t/driver")
    def driver():
        db().connection().exec_driver_sql("UPDATE app_user SET display_name = 'Geändert' WHERE username = 'author'")
        return "ok"

    @app.get("/_t/bulk")
    def bulk():
        db().bulk_update_mappings(User, [{"id": author().id, "display_name": "Geändert"}])
        return "ok"

    @app.get("/_t/savepoint")
    def savepoint():
        author().display_name = "Geändert"
        db().flush()
        with db().begin_nested() as nested:  # a savepoint that ends (rolled back) must not hide the write
            db().execute(select(func.count()).select_from(User))
            nested.rollback()
        return "ok"

    @app.get("/_t/committed-then-read")
    def committed_then_read():
        author().display_name = "Gespeichert"
        db().commit()
        return str(db().scalar(select(func.count()).select_from(User)))  # a second, read-only transaction

    seen = {"commit": 0, "rollback": 0}
    engine = app.extensions["impactcheck.db"].engine
    for name in seen:
        event.listen(engine, name, lambda _conn, name=name: seen.__setitem__(name, seen[name] + 1))

    def run(path: str) -> dict:
        for name in seen:
            seen[name] = 0
        assert app.test_client().get(path).status_code == 200
        return dict(seen)

    return run


def display_name(app) -> str:
    with app.extensions["impactcheck.db"].session() as s:
        return s.scalar(select(User.display_name).where(User.username == "author"))


def test_a_page_that_only_read_ends_with_commit(app, ends):
    assert ends("/_t/read") == {"commit": 1, "rollback": 0}
    assert display_name(app) == NAME


@pytest.mark.parametrize(
    "path", ["/_t/flushed", "/_t/pending", "/_t/statement", "/_t/text", "/_t/driver", "/_t/bulk", "/_t/savepoint"]
)
def test_what_a_view_wrote_and_did_not_commit_is_rolled_back(app, ends, path):
    assert ends(path)["commit"] == 0
    assert display_name(app) == NAME


def test_after_a_commit_the_next_read_only_transaction_commits_too(app, ends):
    assert ends("/_t/committed-then-read") == {"commit": 2, "rollback": 0}
    assert display_name(app) == "Gespeichert"
