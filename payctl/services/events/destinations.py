"""Where the relay publishes: a broker URL and the stream, subject or exchange on it.

A destination's *name* is what the relay records its position under (``event_destinations``)
and locks on: the URL normalised (scheme and host lower case, the default port filled in)
without its credentials, plus the stream and subject (NATS) or the exchange (AMQP). So two
streams on one server are two destinations, each with its own position, and a changed password
is still the same destination. Credentials never reach a name or a message: a password (or a
NATS token, the user part of ``nats://TOKEN@host``) is shown as ``***``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import SplitResult, unquote, urlsplit

from payctl.errors import InputError

NATS, AMQP = "nats", "amqp"
SCHEMES = {"nats": (NATS, 4222), "amqp": (AMQP, 5672), "amqps": (AMQP, 5671)}
DEFAULT_STREAM = "PAYCTL"
DEFAULT_SUBJECT = "payctl.events.{type}"
DEFAULT_EXCHANGE = "payctl"
DEFAULT_DEDUP_WINDOW = 120.0
NAME_LENGTH = 255  # event_destinations.name

_STREAM = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SUBJECT_TOKEN = re.compile(r"[A-Za-z0-9_$-]+")
_EXCHANGE = re.compile(r"[A-Za-z0-9_.:-]{1,127}")


@dataclass(frozen=True)
class Destination:
    """A parsed ``--to`` with its options. ``url`` keeps the credentials (to connect only);
    everything shown uses ``shown`` or ``name``."""

    kind: str
    url: str
    shown: str
    name: str
    secrets: tuple[str, ...]
    stream: str = ""
    subject: str = ""
    exchange: str = ""
    dedup_window: float = DEFAULT_DEDUP_WINDOW

    def subject_of(self, event_type: str) -> str:
        return self.subject.replace("{type}", event_type)

    @property
    def stream_subjects(self) -> str:
        """The subjects the stream captures: ``payctl.events.>`` for ``payctl.events.{type}``."""
        return self.subject.replace("{type}", ">")

    def mask(self, text: str) -> str:
        """``text`` with every credential of the URL replaced by ``***``."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def _split(to: str) -> SplitResult:
    try:
        parts = urlsplit(to.strip())
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise InputError(f"--to {mask_url(to)!r}: the port is not a number 1-65535") from None
    if parts.scheme.lower() not in SCHEMES:
        raise InputError(
            f"--to {mask_url(to)!r}: use nats://HOST[:PORT] (NATS JetStream) or "
            "amqp://USER:PASSWORD@HOST[:PORT]/[VHOST] (RabbitMQ)"
        )
    if not parts.hostname:
        raise InputError(f"--to {mask_url(to)!r} names no host")
    return parts


def mask_url(url: str) -> str:
    """``url`` with its password (or NATS token) replaced by ``***``, even when malformed."""
    return re.sub(r"(://)([^/@]*)@", lambda m: m[1] + _masked_userinfo(m[2]) + "@", url)


def _masked_userinfo(userinfo: str) -> str:
    user, colon, _password = userinfo.partition(":")
    return f"{user}:***" if colon else "***" if user else ""


def _secrets(parts: SplitResult, kind: str) -> tuple[str, ...]:
    found = [parts.password or ""]
    if kind == NATS and parts.username and parts.password is None:  # a token
        found.append(parts.username)
    found += [unquote(s) for s in found]  # as a client may quote it: decoded
    return tuple(sorted({s for s in found if s}, key=len, reverse=True))


def _subject(template: str) -> str:
    """A subject template: a NATS subject, or one whose last token is ``{type}``."""
    has_type = template.endswith(".{type}")
    prefix = template[: -len(".{type}")] if has_type else template
    tokens = prefix.split(".")
    if not all(_SUBJECT_TOKEN.fullmatch(t) for t in tokens):
        raise InputError(
            f"--subject {template!r}: use dot-separated tokens of letters, digits, _ and -, "
            "optionally ending in .{type} (the event type), e.g. payctl.events.{type}"
        )
    return template


def _check_options(
    kind: str, stream: str | None, subject: str | None, exchange: str | None
) -> None:
    if kind == NATS and exchange is not None:
        raise InputError("--exchange is for amqp:// destinations; NATS takes --stream/--subject")
    if kind == AMQP and (stream is not None or subject is not None):
        raise InputError("--stream/--subject are for nats:// destinations; AMQP takes --exchange")


def parse_destination(
    to: str,
    *,
    stream: str | None = None,
    subject: str | None = None,
    exchange: str | None = None,
    dedup_window: float = DEFAULT_DEDUP_WINDOW,
) -> Destination:
    """``--to`` and its options as a :class:`Destination`; :class:`InputError` (exit 2) naming
    the option that cannot be used."""
    parts = _split(to)
    kind, default_port = SCHEMES[parts.scheme.lower()]
    _check_options(kind, stream, subject, exchange)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    where = f"{parts.scheme.lower()}://{host}:{parts.port or default_port}"
    shown = mask_url(to.strip())
    secrets = _secrets(parts, kind)
    if kind == NATS:
        stream = DEFAULT_STREAM if stream is None else stream
        if not _STREAM.fullmatch(stream):
            raise InputError(f"--stream {stream!r}: use 1-64 letters, digits, _ or -")
        subject = _subject(DEFAULT_SUBJECT if subject is None else subject)
        name = f"{where} stream={stream} subject={subject}"
        dest = Destination(kind, to.strip(), shown, name, secrets, stream, subject, "")
    else:
        exchange = DEFAULT_EXCHANGE if exchange is None else exchange
        if not _EXCHANGE.fullmatch(exchange) or exchange.startswith("amq."):
            raise InputError(
                f"--exchange {exchange!r}: use 1-127 letters, digits, _ . : or -, "
                "not starting with amq. (reserved by the broker)"
            )
        vhost = parts.path or "/"
        name = f"{where}{vhost} exchange={exchange}"
        dest = Destination(kind, to.strip(), shown, name, secrets, exchange=exchange)
    if len(name) > NAME_LENGTH:
        raise InputError(f"--to: the destination name is longer than {NAME_LENGTH} characters")
    if not dedup_window > 0:
        raise InputError("--dedup-window: give a number of seconds above 0")
    return replace(dest, dedup_window=float(dedup_window))
