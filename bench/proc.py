"""Run one benchmark command as a child process: wall time, peak memory, a time limit.

The peak resident set size is the child's own ``VmHWM`` from
``/proc/<pid>/status``, read every 20 ms while it runs (it only grows, so
the last reading is the peak but for the last few milliseconds). Not
``ru_maxrss`` from ``os.wait4``: on Linux a child's maximum starts from the
RSS of the process it was forked from (exec records the old address space's
high-water mark), so after a few hundred megabytes of split benchmarks in
the harness every child would report the harness's size. ``ru_maxrss`` is
used only where there is no ``/proc`` (macOS). A child that outlives its
time limit is killed and reported as a :class:`Failed` whose message is one
line, fit for a table cell.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


class Failed(Exception):
    """A benchmark command exited non-zero or ran out of time; str() is one line."""


def run(cmd: list[str], cwd: Path, timeout: float | None = None, stdin: Path | None = None) -> tuple[float, float]:
    """Run cmd to completion and return (seconds, peak RSS in MB).

    :param stdin: a file fed to the child's standard input (never through a shell)
    :raises Failed: on a non-zero exit, or when timeout seconds pass first
    """
    with tempfile.TemporaryFile() as err, _open_or_null(stdin) as feed:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdin=feed, stdout=subprocess.DEVNULL, stderr=err)
        killed = threading.Event()
        timer = threading.Timer(timeout, _kill, (p, killed)) if timeout else None
        if timer:
            timer.start()
        peak = _PeakWatcher(p.pid)
        try:
            # wait4 rather than p.wait(): it also hands back the child's rusage
            _, status, usage = os.wait4(p.pid, 0)
        finally:
            peak.stop()
            if timer:
                timer.cancel()
        elapsed = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting again
        if killed.is_set() and p.returncode < 0:
            raise Failed(f"timed out after {timeout:g} s")
        if p.returncode:
            err.seek(0)
            raise Failed(f"exit {p.returncode}: {_last_line(err.read().decode('utf-8', 'replace'))}")
    return elapsed, peak.mb if peak.mb is not None else _rss_mb(usage.ru_maxrss)


class _PeakWatcher:
    """Polls a process's own high-water mark of resident memory (Linux ``VmHWM``)."""

    def __init__(self, pid: int):
        self.path = f"/proc/{pid}/status"
        self.mb: float | None = None
        self.done = threading.Event()
        if os.path.exists(self.path):
            self.thread = threading.Thread(target=self._poll, daemon=True)
            self.thread.start()
        else:
            self.thread = None

    def _poll(self) -> None:
        while not self.done.is_set():
            self._read()
            self.done.wait(0.02)

    def _read(self) -> None:
        try:
            with open(self.path) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        kb = int(line.split()[1])
                        self.mb = max(self.mb or 0.0, kb / 1024)
        except (OSError, ValueError):
            pass  # exited (or a zombie without memory figures)

    def stop(self) -> None:
        self.done.set()
        if self.thread is not None:
            self.thread.join()


def _kill(p: subprocess.Popen, killed: threading.Event) -> None:
    killed.set()
    p.kill()


def _open_or_null(path: Path | None):
    return open(path, "rb") if path else open(os.devnull, "rb")


def _last_line(text: str, limit: int = 160) -> str:
    # the last line naming an error, rather than a closing hint such as "run again with -v"
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and not line.strip().startswith("(Background on this error")]
    errors = [line for line in lines if "error" in line.lower()]
    line = (errors or lines or ["(no error output)"])[-1]
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _rss_mb(maxrss: int) -> float:
    # ru_maxrss is KiB on Linux but bytes on macOS
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024
