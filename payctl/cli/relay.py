"""`payctl events relay`: the outbox to a broker. Registered on the `events` group by
:func:`register`, so the group's module only has to call it."""

from __future__ import annotations

import signal
from typing import Annotated, Any

import typer

from payctl.cli import render
from payctl.cli.options import FormatOpt, use_format
from payctl.cli.runtime import run

REPORT_FIELDS = [
    ("destination", "Destination"),
    ("published", "Published"),
    ("last_acked_id", "Last acknowledged id"),
    ("seconds", "Seconds"),
]


def relay(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="URL",
            help="The broker: nats://HOST[:PORT] (NATS JetStream) or "
            "amqp://USER:PASSWORD@HOST[:PORT]/[VHOST] (RabbitMQ). Passwords are never shown.",
        ),
    ],
    stream: Annotated[
        str | None,
        typer.Option("--stream", help="NATS: the JetStream stream, created if missing. [PAYCTL]"),
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(
            "--subject",
            help="NATS: the subject, {type} being the event type. [payctl.events.{type}]",
        ),
    ] = None,
    exchange: Annotated[
        str | None,
        typer.Option(
            "--exchange",
            help="AMQP: the durable topic exchange (routing key = event type). [payctl]",
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Publish what is pending, then exit 0 (for cron).")
    ] = False,
    batch: Annotated[
        int,
        typer.Option("--batch", min=1, max=10_000, help="Events per batch, acknowledged together."),
    ] = 500,
    interval: Annotated[
        float,
        typer.Option(
            "--interval", min=0.01, max=3600, help="Seconds between polls when nothing is pending."
        ),
    ] = 1.0,
    dedup_window: Annotated[
        float,
        typer.Option(
            "--dedup-window",
            min=1,
            max=86_400 * 7,
            help="NATS: the duplicate window (seconds) of a stream the relay creates.",
        ),
    ] = 120.0,
    format_: FormatOpt = None,
) -> None:
    """Publish the events to a broker in id order, each with its id as the deduplication id,
    and record what the broker acknowledged; a restart resumes from there.

    Without --once it polls until SIGINT/SIGTERM, finishes the batch in flight and exits 0.
    One relay per destination: a second one is refused (exit 1). A broker that cannot be
    reached or refuses the login: exit 3, nothing recorded.

    Example: payctl events relay --to nats://127.0.0.1:4222 --once
    """
    use_format(format_)
    from payctl.services.events.destinations import parse_destination
    from payctl.services.events.relay import RelayService
    from payctl.services.views import plain

    dest = parse_destination(
        to, stream=stream, subject=subject, exchange=exchange, dedup_window=dedup_window
    )

    async def go(session: Any) -> Any:
        stop = _stop_on_signals()
        service = RelayService(session, dest)
        return await service.relay(once=once, batch=batch, interval=interval, stop=stop)

    report = plain(run(go))
    render.record(report, REPORT_FIELDS)


def _stop_on_signals() -> Any:
    """An event set by SIGINT or SIGTERM (instead of an interrupt mid-batch)."""
    import asyncio

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def register(group: typer.Typer) -> None:
    """Add `relay` to the `events` group."""
    group.command("relay")(relay)
