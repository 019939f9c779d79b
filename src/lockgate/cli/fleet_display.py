"""How a fleet run looks while it runs and when it ends.

On a terminal, a live table of the targets running (and the last failures),
redrawn a few times a second; elsewhere (CI logs, pipes) one line per target
as it ends. Then one summary, naming every failed target with its error.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Callable
from typing import IO

from ..fleet.report import FAILED, OK, QUEUED, RUNNING, SKIPPED, FleetResult, TargetResult
from ..terminal import colour_enabled, paint

_STYLE = {OK: "green", FAILED: "red", SKIPPED: "yellow", RUNNING: "bold", QUEUED: "dim"}
#: Seconds between two redraws of the live table.
REDRAW = 0.2


def scripts_cell(result: TargetResult) -> str:
    if result.total is None:
        return "-"
    return f"{result.done}/{result.total}"


def target_line(result: TargetResult, width: int, colour: bool = False, cut: bool = False) -> str:
    """One target: state, name, scripts done of total, time (and the error's start).

    :param cut: shorten a long name to ``width`` (its end, which tells tenants apart): the
        live table does, a log line never does.
    """
    state = paint(f"{result.state:<8}", _STYLE.get(result.state), colour)
    name = "..." + result.name[-(width - 3):] if cut and len(result.name) > width else result.name
    seconds = time.monotonic() - result.started if result.state == RUNNING else result.seconds
    line = f"{state} {name:<{width}}  {scripts_cell(result):>7}  {seconds:7.2f} s"
    if result.error:
        line += f"  {result.error[:100]}"
    return line.rstrip()


def counts_line(results: list[TargetResult], seconds: float) -> str:
    found = {state: 0 for state in (OK, FAILED, SKIPPED, RUNNING, QUEUED)}
    for result in results:
        found[result.state] += 1
    shown = ", ".join(f"{n} {state}" for state, n in found.items() if n or state in (OK, FAILED))
    return f"{shown} of {len(results)} targets, {seconds:.1f} s"


class FleetDisplay:
    """The fleet's ``on_event`` hook and, on a terminal, the live table.

    :param live: redraw a table on ``stream`` (a terminal); else print a line per ended target.
    :param quiet: print nothing while the run goes.
    """

    def __init__(self, stream: IO[str], *, live: bool, quiet: bool = False) -> None:
        self.stream, self.live, self.quiet = stream, live and not quiet, quiet
        self.colour = colour_enabled(stream)
        self.source: Callable[[], list[TargetResult]] = list
        self.width = 20
        self.lock = threading.Lock()
        self.drawn = 0  # lines of the table on screen
        self.started = time.monotonic()
        self.done = threading.Event()
        self.thread: threading.Thread | None = None

    def begin(self, results: Callable[[], list[TargetResult]], names: list[str]) -> None:
        """Start showing; ``results`` gives the run's results as they are now."""
        self.source = results
        self.width = min(40, max([len(n) for n in names] + [6]))
        self.started = time.monotonic()
        if self.live:
            self.thread = threading.Thread(target=self._redraw_loop, name="lockgate-fleet-table", daemon=True)
            self.thread.start()

    def event(self, event: str, result: TargetResult) -> None:
        if event == "finish" and not self.live and not self.quiet:
            with self.lock:
                print(target_line(result, self.width, self.colour), file=self.stream, flush=True)

    def end(self) -> None:
        self.done.set()
        if self.thread is not None:
            self.thread.join()
            self._draw()

    def _redraw_loop(self) -> None:
        while not self.done.wait(REDRAW):
            self._draw()

    def _draw(self) -> None:
        height = max(5, shutil.get_terminal_size().lines - 2)
        results = self.source()
        running = [r for r in results if r.state == RUNNING]
        failed = [r for r in results if r.state == FAILED]
        rows = (running + failed[-max(1, height // 3):])[:height - 2]
        header = paint(f"{'STATE':<8} {'TARGET':<{self.width}}  {'SCRIPTS':>7}  {'TIME':>9}", "bold", self.colour)
        lines = [header] + [target_line(r, self.width, self.colour, cut=True)[:shutil.get_terminal_size().columns]
                            for r in rows]
        lines.append(counts_line(results, time.monotonic() - self.started))
        with self.lock:
            up = f"\033[{self.drawn}F" if self.drawn else ""
            self.stream.write(up + "\033[J" + "\n".join(lines) + "\n")
            self.stream.flush()
            self.drawn = len(lines)


def summary(result: FleetResult, *, retry_with: str | None = None) -> str:
    """Counts, why the run stopped, and every failed target with its error."""
    counts = result.counts()
    head = (f"fleet {result.command}: {counts[OK]} ok, {counts[FAILED]} failed, {counts[SKIPPED]} skipped "
            f"of {len(result)} target{'s' if len(result) != 1 else ''} in {result.seconds:.1f} s.")
    lines = [head]
    if result.stopped:
        lines.append(f"Stopped: {result.stopped}.")
    if result.failed:
        lines.append("Failed:")
        lines.extend(f"  {r.name} ({r.where}): {r.error}" for r in result.failed)
    if not result.ok and retry_with:
        lines.append(f"After fixing, run only what did not succeed: {retry_with}")
    return "\n".join(lines)
