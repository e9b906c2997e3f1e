"""Console-script entry point: ``payctl``."""

from __future__ import annotations

import sys


def main() -> None:
    from payctl.cli.app import app

    try:
        app(prog_name="payctl")
    except KeyboardInterrupt:
        sys.stderr.write("payctl: interrupted\n")
        sys.exit(130)
