"""The exit codes of ``gameday``: one enum, the only place a new code may be added.

A failed game day is not an error: it is a score whose gates did not pass (1), or a run
that could not be judged (2): aborted, interrupted, steady state not reached, or
``unreliable`` (the machine distorted the measurement beyond what the scenario's tick
tolerates). Errors in what the user gave us are 3; our own bugs are 4; a run killed
before it could finish, re-scored by ``gameday report``, is 5.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode"]


class ExitCode(IntEnum):
    """What ``gameday`` tells the shell (``sys.exit(code)``), and CI, about a command."""

    OK = 0  #: every gate passed (or the command did what it was asked)
    GATE_FAILED = 1  #: a gate failed, or ``compare`` found a regression
    ABORTED = 2  #: aborted by a stop condition, steady state not reached, or interrupted
    #: the run's measurement lag exceeded its tolerance: its gates were not judged. The
    #: same code as ABORTED on purpose: CI treats both as "no verdict", never as pass/fail
    UNRELIABLE = 2
    CONFIG_ERROR = 3  #: bad scenario file, option or environment setting; SUT unavailable
    INTERNAL_ERROR = 4  #: the harness itself failed (the run is still reported)
    INCOMPLETE = 5  #: ``report`` of a run that was killed: its journal has no end

    @classmethod
    def of_run(cls, status: str, passed: bool) -> ExitCode:
        """The code of a scored run: its status (``completed``, ``aborted``, ...) and gates."""
        if status == "completed":
            return cls.OK if passed else cls.GATE_FAILED
        if status == "unreliable":
            return cls.UNRELIABLE
        if status in ("invalid", "aborted", "interrupted"):
            return cls.ABORTED
        if status == "incomplete":  # killed (SIGKILL, OOM, power): scored from its journal
            return cls.INCOMPLETE
        if status == "unavailable":  # the SUT could not be reached, started or made ready
            return cls.CONFIG_ERROR
        return cls.INTERNAL_ERROR
