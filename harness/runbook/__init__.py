"""Runbooks: steps with a trigger, an expectation or an automated action, and a deadline.

- :mod:`~harness.runbook.spec`: the ``runbook:`` section of a scenario, validated;
- :mod:`~harness.runbook.actions`: automated actions (HTTP request to the SUT's admin
  API, shell command with a timeout);
- :mod:`~harness.runbook.engine`: runs the steps live during a game day and journals
  what happened (scoring then reads only the journal: :mod:`harness.scoring.runbook`).
"""

from harness.runbook.actions import Action, HttpAction, ShellAction
from harness.runbook.spec import RunbookStep, parse_runbook

__all__ = ["Action", "HttpAction", "RunbookStep", "ShellAction", "parse_runbook"]
