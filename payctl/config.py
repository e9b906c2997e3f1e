"""Where payctl finds its database and who the acting user is."""

from __future__ import annotations

import getpass
import math
import os
import re
from pathlib import Path
from typing import Any

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
    """Accept plain ``sqlite:///`` / ``postgresql://`` URLs and pick the async drivers.

    A URL that cannot be used as written (a port that is not a number, a PostgreSQL URL
    without a database, an unknown option) is refused here, exit 2, the password masked."""
    if url.startswith("sqlite:///") or url.startswith("sqlite://"):
        return "sqlite+aiosqlite" + url[len("sqlite") :]
    for prefix in (
        "postgresql://",
        "postgres://",
        "postgresql+psycopg2://",
        "postgresql+psycopg://",
        "postgresql+asyncpg://",
    ):
        if url.startswith(prefix):
            url = "postgresql+asyncpg://" + url[len(prefix) :]
            postgres_connect_args(url)  # refuses what cannot be used
            return url
    if _SCHEME_WITHOUT_SLASHES.match(url):  # "sqlite:x.db", "postgresql:db"
        raise InputError(
            f"database URL {_mask_raw(url)!r} is malformed: use sqlite:///FILE "
            "or postgresql://USER@HOST/DB"
        )
    if "://" not in url:  # a bare file path
        return f"sqlite+aiosqlite:///{Path(url).expanduser().absolute()}"
    if not url.startswith("sqlite+aiosqlite://"):
        scheme = url.split("://", 1)[0]
        raise InputError(
            f"database URL scheme {scheme!r} is not supported: use sqlite:///FILE "
            "or postgresql://USER@HOST/DB"
        )
    return url


_SCHEME_WITHOUT_SLASHES = re.compile(r"(?i)(sqlite|postgres(ql)?)(\+\w+)?:(?!//)")
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")

# libpq's URL options (``?sslmode=require``) that payctl hands to asyncpg, which reads them as
# libpq does; asyncpg's own keyword arguments are named otherwise and refuse these.
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
LIBPQ_OPTIONS = (
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslcrl",
    "sslpassword",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "target_session_attrs",
    "passfile",
)
_FILE_OPTIONS = ("sslrootcert", "sslcert", "sslkey", "sslcrl", "passfile")
URL_OPTIONS = ("application_name", "connect_timeout", "host", "port", *LIBPQ_OPTIONS)


def _mask_raw(url: str) -> str:
    """``url``'s password as ***, even when the URL does not parse."""
    return _PASSWORD.sub(r"\1***@", url)


def postgres_connect_args(url: str) -> tuple[Any, dict[str, Any]]:
    """A PostgreSQL URL as (URL without payctl's options, their asyncpg connect arguments).

    ``host`` and ``port`` in the query stay in the URL (SQLAlchemy reads them: sockets,
    several hosts). Raises :class:`InputError` naming the part that cannot be used."""
    from urllib.parse import urlencode

    parsed = _parse_postgres_url(url)
    args: dict[str, Any] = {}
    dsn: dict[str, str] = {}
    for key, value in parsed.query.items():
        if key not in URL_OPTIONS:
            raise InputError(
                f"database URL option {key!r} is not supported (supported: "
                f"{', '.join(sorted(URL_OPTIONS))})"
            )
        if not isinstance(value, str):
            raise InputError(f"database URL option {key!r} is given more than once")
        if key == "connect_timeout":
            args["timeout"] = _connect_timeout(value)
        elif key == "application_name":
            args["server_settings"] = {"application_name": value}
        elif key in LIBPQ_OPTIONS:
            _check_libpq_option(key, value)
            dsn[key] = value
    if dsn:  # asyncpg reads libpq's options from a DSN; the URL's other parts still win
        args["dsn"] = "postgresql://?" + urlencode(dsn)
    kept = {k: v for k, v in parsed.query.items() if k in ("host", "port")}
    return parsed.set(query=kept), args


def _parse_postgres_url(url: str) -> Any:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    shown = _mask_raw(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        parsed = make_url(url)
    except (ValueError, ArgumentError) as exc:
        port = re.search(r"invalid literal for int\(\) with base 10: (.*)$", str(exc))
        why = f"the port {port.group(1)} is not a number" if port else "it is malformed"
        raise InputError(f"database URL {shown!r} cannot be used: {why}") from None
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise InputError(f"database URL {shown!r}: port {parsed.port} is not 1-65535")
    if not parsed.database:
        raise InputError(f"database URL {shown!r} names no database: use postgresql://USER@HOST/DB")
    return parsed


def _finite(text: str) -> float | None:
    """``text`` as a finite number, or None when it is not one."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _connect_timeout(value: str) -> float:
    seconds = _finite(value)
    if seconds is None or seconds <= 0:
        raise InputError(
            f"database URL option connect_timeout={value!r} is not a number of seconds above 0"
        )
    return seconds


def _check_libpq_option(key: str, value: str) -> None:
    if key == "sslmode" and value not in SSL_MODES:
        raise InputError(
            f"database URL option sslmode={value!r}: use one of {', '.join(SSL_MODES)}"
        )
    if key in _FILE_OPTIONS and not Path(value).expanduser().is_file():
        raise InputError(f"database URL option {key}: no such file {value!r}")


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
    seconds = _finite(raw)
    if seconds is None or seconds < 0:
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
        if "sslpassword" in shown.query:
            shown = shown.update_query_dict({"sslpassword": "***"})
        return shown.render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"
