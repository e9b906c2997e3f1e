"""Storage: engine and session factory, ORM models, Alembic migrations."""
