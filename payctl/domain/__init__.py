"""Pure domain logic: no I/O, no SQLAlchemy, no Typer, no Rich, no pandas."""
