"""Console-script entry point: ``payctl``. Errors leave through the root command's door
(:class:`payctl.cli.runtime.PayctlGroup`); only an interrupt before it is caught here."""

from __future__ import annotations

import sys


def main() -> None:
    from payctl.cli import startup

    startup.pause()  # until the command's own work begins (payctl/cli/startup.py)
    try:
        from payctl.cli.app import app

        app(prog_name="payctl")
    except KeyboardInterrupt:
        sys.stderr.write("payctl: interrupted\n")
        sys.exit(130)
