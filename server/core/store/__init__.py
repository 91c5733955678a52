"""The durable record: SQLAlchemy rows, the engine and sessions, Alembic migrations."""
