"""Storage: SQLAlchemy models, the operations that change them, migrations. No Flask here."""
