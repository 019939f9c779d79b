"""What a run shows while it runs: one line per script, how far a long SQL file has got."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

from ..terminal import in_ci, is_terminal

if TYPE_CHECKING:
    from ..scripts import Script


class ProgressPrinter:
    """The migrator's ``progress`` callback: "[2/5] Applying ... done in 12 ms".

    Per-script lines go to stdout on a terminal or a plain pipe, in CI logs only
    with ``verbose``, and never when stdout holds JSON (``stdout_free`` false).
    Warnings and lock waits always go to stderr.
    """

    def __init__(self, *, stdout_free: bool = True, verbose: bool = False) -> None:
        self.stdout_free = stdout_free
        self.verbose = verbose
        self.line = ""  # the "[n/m] Applying ..." line of the script running
        self.line_open = False  # that line waits for its ending
        self.started = 0.0

    def __call__(self, event: str, script: Script | None, **info: Any) -> None:
        terminal = is_terminal(sys.stdout)
        per_script = self.stdout_free and (terminal or not in_ci() or self.verbose)
        if event == "start" and per_script and script is not None:
            self._start(script, info)
        elif event == "position" and terminal and self.stdout_free:
            self._position(info["done"], info.get("total"))
        elif event == "done" and per_script:
            if terminal:
                print(f"\r{self.line}", end="")
            print(f" done in {info['execution_ms']} ms" + " " * 16 * terminal, flush=True)
            self.line_open = False
        elif event == "waiting":
            print(f"Waiting for the migration lock, held by {info['holder']} ...", file=sys.stderr, flush=True)
        elif event in ("drift", "warning"):
            self.warn(info["message"])

    def _start(self, script: Script, info: dict[str, Any]) -> None:
        verb = "Applying" if info["direction"] == "upgrade" else "Reverting"
        late = " (out of order)" if info.get("out_of_order") else ""
        total = info.get("total") or 1
        counter = f"[{info['position']}/{total}] " if total > 1 else ""
        self.line = f"{counter}{verb} {script.version} {script.title}{late} ..."
        self.started = time.monotonic()
        print(self.line, end="", flush=True)
        self.line_open = True

    def _position(self, done: int, total: int | None) -> None:
        """A long SQL file on a terminal: how far it has got."""
        where = f"{min(99, done * 100 // total)}%" if total else f"{done / 1e6:.0f} MB read"
        where += f", {time.monotonic() - self.started:.0f} s"
        print(f"\r{self.line} {where:<20}", end="", flush=True)

    def warn(self, message: str) -> None:
        print(f"warning: {message}", file=sys.stderr, flush=True)

    def fail(self) -> None:
        """End a script's open line when the script failed."""
        if self.line_open:
            print(" failed", file=sys.stdout, flush=True)
            self.line_open = False
