"""payctl's own exceptions. The CLI turns each into one line on stderr (one per problem for
InputErrors) and an exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2
EXIT_DATABASE = 3
# The command ran (a write committed) but its output could not be written (disk full, I/O
# error): distinct from 1, so that a script does not retry a change that was made.
EXIT_OUTPUT = 4
# The reader of the output closed the pipe (`payctl list | head -1`): what a shell reports for
# a program ended by SIGPIPE (128 + 13), as for any Unix tool in such a pipeline.
EXIT_CLOSED_PIPE = 141


class PayctlError(Exception):
    """Base of every error payctl reports to a user."""

    exit_code = EXIT_REFUSED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def lines(self) -> list[str]:
        """What the CLI prints: one line per problem."""
        return [self.message]


class InputError(PayctlError):
    """Bad usage or bad input data (unparseable amount, malformed file, ...)."""

    exit_code = EXIT_BAD_INPUT


class InputErrors(InputError):
    """Several bad input rows, reported at once: one line each (the CLI prints each line)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))

    @property
    def lines(self) -> list[str]:
        return self.problems


class NotFound(PayctlError):
    """A named object (payment, partner, invoice, journal, ...) does not exist."""

    exit_code = EXIT_REFUSED


class RuleViolation(PayctlError):
    """A business rule refused the operation. Carries every rule broken."""

    exit_code = EXIT_REFUSED

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class DatabaseError(PayctlError):
    """Database unreachable, not initialised, or locked past the timeout."""

    exit_code = EXIT_DATABASE


class NotInitialised(PayctlError):
    exit_code = EXIT_BAD_INPUT


class BrokerError(PayctlError):
    """A message broker unreachable, refusing the login, or failing mid-run (the relay)."""

    exit_code = EXIT_DATABASE  # 3: a server payctl needs is unavailable
