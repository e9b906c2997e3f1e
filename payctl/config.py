"""Where payctl finds its database and who the acting user is."""

from __future__ import annotations

import getpass
import math
import os
from dataclasses import dataclass
from pathlib import Path

from payctl.errors import InputError

ENV_DATABASE_URL = "PAYCTL_DATABASE_URL"
ENV_USER = "PAYCTL_USER"
ENV_BUSY_TIMEOUT = "PAYCTL_BUSY_TIMEOUT"
ENV_STATEMENT_TIMEOUT = "PAYCTL_STATEMENT_TIMEOUT"
DEFAULT_STATEMENT_TIMEOUT = 300.0
DEFAULT_BUSY_TIMEOUT = 30.0


def given(value: str | None, option: str) -> str | None:
    """An option's value: None when left out; an empty one is refused, never a default."""
    if value is not None and not value.strip():
        raise InputError(f"{option} is empty: give a value or leave the option out")
    return value


def env(name: str) -> str | None:
    """A ``PAYCTL_*`` variable: None when unset; set but empty is refused (a script with an
    unset variable must not fall back to the user's real ledger)."""
    value = os.environ.get(name)
    if value is not None and not value.strip():
        raise InputError(f"{name} is set but empty: give a value or unset it")
    return value


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
    """--database-url, else PAYCTL_DATABASE_URL, else the default file; empty is refused."""
    url = given(cli_value, "--database-url") or env(ENV_DATABASE_URL)
    if url is None:
        path = default_database_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    return normalise_url(url.strip())


def resolve_user(cli_value: str | None = None) -> str:
    """--user, else PAYCTL_USER, else the login name; an empty one is refused."""
    named = given(cli_value, "--user") or env(ENV_USER)
    if named is not None:
        return named.strip()
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers without passwd entry)
        return "unknown"


def _seconds(name: str, default: float) -> float:
    """A ``PAYCTL_*`` number of seconds; anything but a number >= 0 is refused."""
    raw = env(name)
    if raw is None:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise InputError(f"{name}: {raw!r} is not a number of seconds (e.g. {default:g})")
    return seconds


def busy_timeout_seconds() -> float:
    """How long a SQLite write waits for the lock: PAYCTL_BUSY_TIMEOUT (default 30 s)."""
    return _seconds(ENV_BUSY_TIMEOUT, DEFAULT_BUSY_TIMEOUT)


def statement_timeout_seconds() -> float:
    """Longest one SQL statement may run on PostgreSQL before the server cancels it; 0 = none.

    ``PAYCTL_STATEMENT_TIMEOUT`` (seconds, default 300)."""
    return _seconds(ENV_STATEMENT_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT)


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
