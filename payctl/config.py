"""Where payctl finds its database and who the acting user is."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

ENV_DATABASE_URL = "PAYCTL_DATABASE_URL"
ENV_USER = "PAYCTL_USER"
ENV_BUSY_TIMEOUT = "PAYCTL_BUSY_TIMEOUT"
ENV_STATEMENT_TIMEOUT = "PAYCTL_STATEMENT_TIMEOUT"
DEFAULT_STATEMENT_TIMEOUT = 300.0


def default_database_path() -> Path:
    """``$XDG_DATA_HOME/payctl/payctl.db``, i.e. ``~/.local/share/payctl/payctl.db``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "payctl" / "payctl.db"


def normalise_url(url: str) -> str:
    """Accept plain ``sqlite:///`` / ``postgresql://`` URLs and pick the async drivers."""
    if url.startswith("sqlite:///") or url.startswith("sqlite://"):
        return "sqlite+aiosqlite" + url[len("sqlite") :]
    for prefix in (
        "postgresql://",
        "postgres://",
        "postgresql+psycopg2://",
        "postgresql+psycopg://",
    ):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if "://" not in url:  # a bare file path
        return f"sqlite+aiosqlite:///{Path(url).expanduser().absolute()}"
    if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        from payctl.errors import InputError

        scheme = url.split("://", 1)[0]
        raise InputError(
            f"database URL scheme {scheme!r} is not supported: use sqlite:///FILE "
            "or postgresql://USER@HOST/DB"
        )
    return url


def resolve_database_url(cli_value: str | None = None) -> str:
    url = cli_value or os.environ.get(ENV_DATABASE_URL)
    if not url:
        path = default_database_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    return normalise_url(url)


def resolve_user(cli_value: str | None = None) -> str:
    if cli_value:
        return cli_value
    if os.environ.get(ENV_USER):
        return os.environ[ENV_USER]
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers without passwd entry)
        return "unknown"


def busy_timeout_seconds() -> float:
    try:
        return float(os.environ.get(ENV_BUSY_TIMEOUT, "30"))
    except ValueError:
        return 30.0


def statement_timeout_seconds() -> float:
    """Longest one SQL statement may run on PostgreSQL before the server cancels it; 0 = none.

    ``PAYCTL_STATEMENT_TIMEOUT`` (seconds, default 300). Unparseable or negative values fall
    back to the default.
    """
    try:
        value = float(os.environ.get(ENV_STATEMENT_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT))
    except ValueError:
        return DEFAULT_STATEMENT_TIMEOUT
    return value if value >= 0 else DEFAULT_STATEMENT_TIMEOUT


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
        shown = parsed.set(drivername=parsed.get_backend_name())
        return shown.render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"


@dataclass(frozen=True)
class Settings:
    database_url: str
    user: str
