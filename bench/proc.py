"""Run one benchmark command as a child process: wall time, peak memory, a time limit.

The peak resident set size comes from ``os.wait4``, which reports the rusage
of exactly that child (``ru_maxrss``, in KiB on Linux), so the harness's own
memory never counts.  A child that outlives its time limit is killed and
reported as a :class:`Failed` whose message is one line, fit for a table cell.
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
        try:
            # wait4 rather than p.wait(): it also hands back the child's own rusage
            _, status, usage = os.wait4(p.pid, 0)
        finally:
            if timer:
                timer.cancel()
        elapsed = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting again
        if killed.is_set() and p.returncode < 0:
            raise Failed(f"timed out after {timeout:g} s")
        if p.returncode:
            err.seek(0)
            raise Failed(f"exit {p.returncode}: {_last_line(err.read().decode('utf-8', 'replace'))}")
    return elapsed, _rss_mb(usage.ru_maxrss)


def _kill(p: subprocess.Popen, killed: threading.Event) -> None:
    killed.set()
    p.kill()


def _open_or_null(path: Path | None):
    return open(path, "rb") if path else open(os.devnull, "rb")


def _last_line(text: str, limit: int = 160) -> str:
    # the last line naming an error, rather than a closing hint such as "run again with -v"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    line = (errors or lines or ["(no error output)"])[-1]
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _rss_mb(maxrss: int) -> float:
    # ru_maxrss is KiB on Linux but bytes on macOS
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024
