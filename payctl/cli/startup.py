"""The cyclic garbage collector during a process's start-up (issue 12).

Starting a command imports SQLAlchemy, declares the ORM models and builds the command: some
300,000 objects that live as long as the process, and the collector, run every 700 of them,
went over them again and again (about a tenth of a read command's CPU). The console script
pauses it while the process starts (:func:`pause`); it runs again, exactly as before, once the
command's own work begins (:func:`resume`: when it opens the database, or reads a file without
one). What was created until then is moved out of the collector's sight (``gc.freeze``): it is
the process's modules, classes and tables, kept to the end anyway; a later full collection
does not go over them again.

Only the console script pauses it: a process that runs commands in-process (the tests'
CliRunner) is not touched, and :func:`resume` does nothing there."""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Stop the collector until :func:`resume` (the console script, before it imports)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Start the collector again if :func:`pause` stopped it: the objects of the start-up are
    kept out of later collections, and the collector counts from zero."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
