"""Storage: SQL tables through SQLModel, with Alembic migrations applied on first use."""
