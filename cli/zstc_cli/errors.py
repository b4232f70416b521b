"""What can go wrong in a ``zstc`` command, each with its documented exit code.

Every failure a user can cause or meet ends as one line on stderr, ``zstc: <what>``, and one of these
codes, never a traceback (docs/cli.md, "Exit codes and errors"). ``zstc_cli.main`` prints them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """The ``zstc`` command's exit codes."""

    OK = 0
    USER_ERROR = 1
    """A mistake in the input: a missing or unreadable file, a file without the expected columns."""
    USAGE = 2
    """The command line itself is wrong: unknown option, missing argument or text, a bad option value."""
    API_REFUSED = 3
    """The API answered 4xx: the request was refused (validation, unknown job, not finished...)."""
    API_FAILED = 4
    """The API answered 5xx: the service or its model failed."""
    UNREACHABLE = 5
    """No API answered at the target URL, or the target could not be found (stack, credentials)."""
    JOB_UNSUCCESSFUL = 6
    """A waited-for job ended Rejected, Failed or Stopped."""
    INTERRUPTED = 130
    """Ctrl-C (128 + SIGINT, as shells report it)."""


class CliError(Exception):
    """A failure the command reports as one line and an exit code."""

    exit_code: ExitCode = ExitCode.USER_ERROR

    def __init__(self, message: str, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class ApiError(CliError):
    """The API answered with an error status and (normally) its JSON error body; ``details`` are the
    body's ``error.details`` (each names a field and its position), empty when it has none."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int,
        code: str,
        message: str,
        *,
        details: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.details = [dict(detail) for detail in details]
        super().__init__(
            f"{method} {path} -> {status} {code}: {message}",
            ExitCode.API_REFUSED if status < 500 else ExitCode.API_FAILED,
        )


class UnreachableError(CliError):
    """No zstc API answered: connection refused, DNS failure, timeout, or another service answered."""

    exit_code = ExitCode.UNREACHABLE
