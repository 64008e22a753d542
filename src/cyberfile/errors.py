"""The contract with the caller: exit codes, and the one exception base for every failure
a user can cause or fix. The command line turns a `CyberfileError` into its message and
its exit code in one place (`cyberfile.cli.main`); anything else is a bug (exit 3)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented in docs/cli.md; CI and pre-commit rely on them."""

    OK = 0
    """Nothing at or above --fail-on was found."""
    FINDINGS = 1
    """Findings at or above --fail-on (default: errors)."""
    UNREADABLE = 2
    """The input could not be read: YAML, a feed, an SBOM, a project that does not load."""
    MISUSE = 2
    """The command was misused: unknown option value, a rule the command does not run."""
    CANNOT_WRITE = 2
    """An output could not be written (permissions, full disk); the old output is kept."""
    INTERNAL_ERROR = 3
    """A bug in cyberfile: the message says how to see the traceback."""
    INTERRUPTED = 130
    """Stopped with Ctrl-C."""


class CyberfileError(Exception):
    """A failure the user can fix; `str()` is the message shown after `cyberfile CMD: `."""

    exit_code: ExitCode = ExitCode.UNREADABLE


class InputError(CyberfileError):
    """An input (project, SBOM, feed, template) cannot be read or used."""

    exit_code = ExitCode.UNREADABLE


class UsageError(CyberfileError):
    """The command line asks for something the command does not do."""

    exit_code = ExitCode.MISUSE


class WriteError(CyberfileError):
    """An output cannot be written; nothing was half-written."""

    exit_code = ExitCode.CANNOT_WRITE
