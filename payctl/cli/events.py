"""`payctl events list|tail|prune|destinations`: reading the outbox every change writes."""

from __future__ import annotations

import contextlib
import signal
import sys
from typing import Annotated, Any

import typer

from payctl.cli import relay, render
from payctl.cli.options import LIST_LIMIT, MAX_INT, FormatOpt, use_format
from payctl.cli.runtime import run, user

app = typer.Typer(
    no_args_is_help=True, epilog="Example: payctl events list --since 0 --format json"
)

SinceOpt = Annotated[
    int,
    typer.Option("--since", min=0, max=MAX_INT, help="Only events with a higher id than this."),
]
TypesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--type",
        help="Only events of this type (repeat for several), e.g. payment.confirmed.",
    ),
]
COLUMNS = [
    ("id", "Id"),
    ("type", "Type"),
    ("occurred_at", "Occurred at (UTC)"),
    ("actor", "Actor"),
    ("object", "Object"),
]
CSV_COLUMNS = [
    ("id", "id"),
    ("type", "type"),
    ("schema", "schema"),
    ("occurred_at", "occurred_at"),
    ("actor", "actor"),
    ("object_type", "object_type"),
    ("object_id", "object_id"),
    ("object_number", "object_number"),
    ("data", "data"),
]


def _flat(event: dict[str, Any]) -> dict[str, Any]:
    """An envelope as one row: the object's fields side by side, ``data`` as compact JSON."""
    obj = event["object"]
    label = obj["number"] or (f"#{obj['id']}" if obj["id"] is not None else "")
    return {
        **{k: v for k, v in event.items() if k not in ("object", "data")},
        "object": f"{obj['type']} {label}".strip(),
        "object_type": obj["type"],
        "object_id": obj["id"],
        "object_number": obj["number"],
        "data": render.json_line(event["data"]),
    }


@app.command("list")
def list_events(
    since: SinceOpt = 0,
    types: TypesOpt = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=MAX_INT, help="Events to show at most.")
    ] = LIST_LIMIT,
    format_: FormatOpt = None,
) -> None:
    """List events in id order.

    The events after --since, at most --limit of them. JSON gives the events as consumers get
    them (a list of envelopes); CSV one row each, with the data as JSON.

    Example: payctl events list --since 1200 --type payment.confirmed --format json
    """
    use_format(format_)
    from payctl.services.events.event_service import EventService

    page = run(lambda s: EventService(s, user()).list_events(since, types or (), limit))
    mode = render.fmt()
    if mode == "json":
        render.emit_json(page.events)
    elif mode == "csv" or page.events:
        render.rows([_flat(e) for e in page.events], CSV_COLUMNS if mode == "csv" else COLUMNS)
    else:
        render.line("no events match")
    if page.more:
        last = page.events[-1]["id"]
        render.message(f"more events follow: payctl events list --since {last}")


@app.command("tail")
def tail(
    since: SinceOpt = 0,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep running and print new events as they commit.")
    ] = False,
    interval: Annotated[
        float,
        typer.Option(
            "--interval", min=0.05, max=3600, help="With --follow: seconds between looks."
        ),
    ] = 1.0,
    types: TypesOpt = None,
) -> None:
    """Print events as JSON lines, and with --follow new ones as they commit.

    One compact envelope a line, whatever --format says, for the events after --since; then
    exit, or with --follow keep printing new ones until Ctrl-C or SIGTERM (exit 0).

    Example: payctl events tail --since "$(cat last-id)" --type payment.confirmed
    """
    from payctl.services.events.event_service import EventService

    broken: list[OSError] = []

    async def op(session: Any) -> None:
        import asyncio

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        caught = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not on this OS
                loop.add_signal_handler(signum, stop.set)
                caught.append(signum)
        try:
            pages = EventService(session, user()).tail(
                since, types or (), follow=follow, interval=interval, stop=stop
            )
            async for page in pages:
                try:
                    sys.stdout.write("".join(render.json_line(e) + "\n" for e in page))
                    sys.stdout.flush()
                except OSError as exc:  # the reader went away (| head): stop, report below
                    broken.append(exc)
                    break
        finally:
            for signum in caught:
                loop.remove_signal_handler(signum)

    run(op)
    if broken:
        raise broken[0]  # the root command's door: a closed pipe exits quietly


PRUNE_FIELDS = [
    ("deleted", "Deleted"),
    ("unacknowledged", "Kept, not acknowledged yet"),
    ("acknowledged_through", "Acknowledged through id"),
    ("lagging", "Furthest behind"),
    ("kept", "Kept"),
    ("kept_first", "Kept from id"),
    ("kept_last", "Kept to id"),
    ("dry_run", "Dry run"),
]


@app.command("prune")
def prune(
    before: Annotated[
        str,
        typer.Option(
            "--before",
            help="An event id (prune the events below it) or a date YYYY-MM-DD (those that "
            "occurred before it, UTC).",
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be deleted; delete nothing.")
    ] = False,
    unpublished: Annotated[
        bool,
        typer.Option(
            "--unpublished",
            help="For a database without a relay: prune though no destination acknowledged "
            "the events (refused once a relay has recorded one).",
        ),
    ] = False,
    format_: FormatOpt = None,
) -> None:
    """Delete old events every relay destination has acknowledged.

    Events --before names that some destination has not acknowledged yet are kept. Without a
    relay, pass --unpublished.

    Example: payctl events prune --before 2026-01-01 --dry-run
    """
    use_format(format_)
    from dataclasses import asdict

    from payctl.services.events.event_service import EventService

    report = run(
        lambda s: EventService(s, user()).prune(before, dry_run=dry_run, unpublished=unpublished)
    )
    render.record(asdict(report), PRUNE_FIELDS, title="Events pruned")
    span = f"ids {report.kept_first}-{report.kept_last} kept" if report.kept else "no events kept"
    verb = "would delete" if report.dry_run else "deleted"
    render.message(f"{verb} {report.deleted} events; {span}")


@app.command("destinations")
def destinations(format_: FormatOpt = None) -> None:
    """List the relay's destinations: acknowledged through which id, how many pending.

    Example: payctl events destinations --format json
    """
    use_format(format_)
    from payctl.services.events.event_service import EventService

    items = run(lambda s: EventService(s, user()).destinations())
    if not items and render.fmt() == "table":
        render.line("no destinations: no relay has acknowledged an event yet")
        return
    render.rows(
        items,
        [
            ("name", "Destination"),
            ("last_acked_id", "Acknowledged through id"),
            ("pending", "Pending"),
            ("updated_at", "Updated at"),
        ],
        title="Event destinations",
        right=("last_acked_id", "pending"),
    )


relay.register(app)
