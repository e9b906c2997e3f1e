"""payctl: a command-line payments ledger."""

__version__ = "0.1.0"
