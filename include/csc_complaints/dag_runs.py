"""Run the DAGs through real Airflow (``airflow dags test``) for ``make run`` and ``make demo``.

Airflow's own output (hundreds of lines a run) goes to one log file per command under
``<Airflow logs>/run-dags/``; the terminal gets a short line per DAG and per task as it ends,
with the error of a task that failed. ``verbose=True`` (``VERBOSE=1``) also streams Airflow's
output as it comes. The lines read here are the ones ``airflow dags test`` writes for every task
(start, state change, end) and for the run (``DagRun Finished``); a line that is not
recognised is only logged.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.markup import escape

# A mapped task (one per council) says its map index; an unmapped one says -1 or nothing.
_TASK_START = re.compile(r"\[DAG TEST\] starting task_id=(\S+)(?: map_index=(-?\d+))?")
_TASK_END = re.compile(r"\[DAG TEST\] end task task_id=(\S+)")
_NEW_STATE = re.compile(r"Task instance state updated\b.*\bnew_state=(\w+)")
_WAITING = "No tasks to run. unrunnable tasks"
_RUN_DONE = re.compile(r"DagRun Finished: dag_id=([^,]+),.*?\brun_id=([^,]+),.*?\bstate=(\w+),")
# The last line of a traceback: "package.module.ErrorClass: message" (log lines start with a
# timestamp, traceback frames with spaces).
_ERROR = re.compile(r"^((?:[a-z_]\w*\.)*[A-Z]\w*): (\S.*)$")
_CLASSIFIED = ("FailedForGood", "QualityGateFailed")
# After these, exception lines are about a callback (the alert), not the task's own error.
_CALLBACK_TROUBLE = ("Failed to run task callback", "Failed to send notification")

_SYMBOLS = {"success": "[green]✓[/]", "failed": "[red]✗[/]", "skipped": "[yellow]↷[/]"}


@dataclass
class TaskOutcome:
    task_id: str
    state: str = "running"
    seconds: float = 0.0
    error: str | None = None
    map_index: int = -1  # a mapped task's instance (the council's place in the registry)

    @property
    def key(self) -> str:
        return self.task_id if self.map_index < 0 else f"{self.task_id}[{self.map_index}]"

    def is_task(self, task_id: str) -> bool:
        """``task_id`` names this task, with or without its task group
        (``check_staged_rows`` is ``council.check_staged_rows``)."""
        return task_id in (self.task_id, self.task_id.rsplit(".", 1)[-1])


@dataclass
class DagRunOutcome:
    """One ``airflow dags test`` run: its state and the state of each task that ran."""

    dag_id: str
    label: str
    run_id: str | None = None
    state: str = "unknown"  # success, failed, or unknown (Airflow ended without saying)
    exit_code: int | None = None
    tasks: dict[str, TaskOutcome] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.state == "success" and self.exit_code == 0

    def task_succeeded(self, task_id: str) -> bool:
        """The task (any of its mapped instances: any council's) succeeded; as under the
        scheduler, where each council's instance updates the task's outlet assets."""
        return any(t.is_task(task_id) and t.state == "success" for t in self.tasks.values())

    @property
    def failed_tasks(self) -> list[TaskOutcome]:
        return [t for t in self.tasks.values() if t.state not in ("success", "skipped")]


class DagRunner:
    """Runs ``airflow`` commands with the project's environment, quietly, into one log file."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        verbose: bool = False,
        map_labels: Sequence[str] = (),
    ) -> None:
        self.env = env
        self.log_path = log_path
        self.verbose = verbose
        # What a mapped task's line names it by: the council of each map index, in registry
        # order (the DAGs map over list_councils, which lists the registry in order).
        self.map_labels = list(map_labels)
        self.console = Console(highlight=False, soft_wrap=False)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log: TextIO = log_path.open("a", encoding="utf-8")

    def close(self) -> None:
        self._log.close()

    def _command(self, args: Sequence[str]) -> subprocess.Popen:
        self._log.write(f"\n$ airflow {' '.join(args)}\n")
        self._log.flush()
        return subprocess.Popen(
            [str(Path(sys.executable).with_name("airflow")), *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
        )

    def _echo(self, line: str) -> None:
        self._log.write(line)
        if self.verbose:
            sys.stdout.write(line)
            sys.stdout.flush()

    def airflow(self, args: Sequence[str]) -> int:
        """``airflow ARGS`` into the log; its exit code."""
        process = self._command(args)
        for line in process.stdout:
            self._echo(line)
        return process.wait()

    def run(self, dag_id: str, logical_date: str | None = None, label: str = "") -> DagRunOutcome:
        """``airflow dags test DAG [DATE]``, with a line per task on the terminal as it ends."""
        outcome = DagRunOutcome(dag_id, label)
        self.console.print(f"[bold]{escape(dag_id)}[/]" + (f" {escape(label)}" if label else ""))
        process = self._command(["dags", "test", dag_id, *([logical_date] if logical_date else [])])
        current: TaskOutcome | None = None
        started = time.monotonic()
        errors: list[str] = []
        callback_trouble = waiting_told = False
        for line in process.stdout:
            self._echo(line)
            text = line.rstrip("\n")
            if match := _TASK_START.search(text):  # a task's first attempt, or a retry
                current = TaskOutcome(match.group(1), map_index=int(match.group(2) or -1))
                outcome.tasks[current.key] = current
                started, errors, callback_trouble, waiting_told = time.monotonic(), [], False, False
            elif current is not None and (match := _NEW_STATE.search(text)):
                current.state = match.group(1)
            elif current is not None and (match := _TASK_END.search(text)):
                current.seconds = time.monotonic() - started
                current.error = _pick_error(errors) if current.state != "success" else None
                self._print_task(current)
            elif match := _RUN_DONE.search(text):
                outcome.run_id, outcome.state = match.group(2).strip(), match.group(3)
            elif _WAITING in text and current and current.state == "up_for_retry":
                if waiting_told:
                    continue  # dags test says it every second while the retry waits
                waiting_told = True
                self.console.print(
                    f"    … {escape(current.task_id)} waits for its retry "
                    "(a transient fault; Airflow's log has the detail)"
                )
            elif any(marker in text for marker in _CALLBACK_TROUBLE):
                callback_trouble = True
            elif not callback_trouble and (match := _ERROR.match(text)):
                errors.append(f"{match.group(1).rsplit('.', 1)[-1]}: {match.group(2)}")
        outcome.exit_code = process.wait()
        if outcome.state == "unknown" and outcome.exit_code != 0:
            outcome.state = "failed"
            self.console.print(
                f"  [red]✗[/] airflow dags test {escape(dag_id)} ended with exit code "
                f"{outcome.exit_code} before the run started; see {escape(str(self.log_path))}"
            )
        return outcome

    def _print_task(self, task: TaskOutcome) -> None:
        symbol = _SYMBOLS.get(task.state, "[red]✗[/]")
        line = f"  {symbol} {escape(task.task_id):<30} {task.seconds:5.1f} s"
        if task.map_index >= 0:
            labels = self.map_labels
            label = labels[task.map_index] if task.map_index < len(labels) else task.map_index
            line += f"  {escape(str(label))}"
        if task.state not in ("success",):
            line += f"  {escape(task.state)}"
        self.console.print(line)
        if task.error:
            self.console.print(f"      [red]{escape(task.error)}[/]")


def _pick_error(errors: list[str]) -> str | None:
    """The task's error as the pipeline classified it (what to do included), else the last."""
    for error in reversed(errors):
        if error.startswith(_CLASSIFIED):
            return error.split(": ", 1)[1]
    return errors[-1] if errors else None


def new_log_path(env: dict[str, str]) -> Path:
    """``<Airflow's base log folder>/run-dags/<UTC time>.log`` (``.airflow/logs`` by default)."""
    base = env.get("AIRFLOW__LOGGING__BASE_LOG_FOLDER") or str(Path(env["AIRFLOW_HOME"]) / "logs")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(base) / "run-dags" / f"{stamp}.log"
