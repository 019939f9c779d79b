"""The suite's bytecode, compiled once for all the processes of a run.

A run starts dozens of Python processes: four xdist workers, a fork server in
each, fresh interpreters for the tests of start-up, inner pytest sessions. The
environment may say PYTHONDONTWRITEBYTECODE, and then each of them compiled
lockgate's sources, the suite's helpers and the benchmark scripts again (about
40 s of CPU a run, a fifth of it). So:

- :func:`compile_sources` compiles this checkout's own sources once at the start
  of a session (``compileall``: mtime-checked, a no-op when up to date); Python
  reads bytecode wherever it is, whatever that setting says.
- :func:`warm`: pytest rewrites a test module's asserts before it imports it
  (about 4 s of CPU for this suite's modules, in each process that collects
  them) and reads the result back from ``__pycache__``, but writes it only
  where writing bytecode is on. So each worker imports the test modules before
  collecting them, with writing on for that step only, starting at its own
  share of the list: a worker rewrites its share and finds the others' shares
  already written by the workers that started there.
"""

from __future__ import annotations

import compileall
import importlib
import os
import re
import sys
from pathlib import Path

import pytest


#: Test modules: pytest imports its own rewritten copies of them (see :func:`warm`).
_TEST_MODULE = re.compile(r"[/\\]test_[^/\\]*\.py$")


def compile_sources(*folders: Path) -> None:
    """Compile the ``.py`` files under each writable folder that has no up-to-date bytecode."""
    for folder in folders:
        if folder.is_dir() and os.access(folder, os.W_OK):
            compileall.compile_dir(folder, quiet=2, workers=1, rx=_TEST_MODULE)


def share_first(names: list[str], worker: int, workers: int) -> list[str]:
    """``names`` rotated so that worker ``worker`` of ``workers`` starts at its own share."""
    start = len(names) * worker // workers
    return names[start:] + names[:start]


def collected(folder: Path, args: list[str], *bases: Path) -> list[str]:
    """The test modules of ``folder`` that the command line's paths (or ``testpaths``) take in."""
    found: set[str] = set()
    for arg in args:
        candidates = [(base / arg.split("::")[0]).resolve() for base in bases]
        path = next((candidate for candidate in candidates if candidate.exists()), candidates[0])
        if path == folder or path in folder.parents:
            found.update(p.stem for p in folder.glob("test_*.py"))
        elif path.parent == folder and path.name.startswith("test_") and path.suffix == ".py":
            found.add(path.stem)
    return sorted(found)


def warm(session: pytest.Session, folder: Path) -> None:
    """Import the test modules this run collects, rewritten and kept, in this worker's order.

    A module that fails to import or skips itself is left for the collection,
    which reports it as it always does.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if not worker.startswith("gw") or workers < 2 or str(folder) not in sys.path:
        return
    config = session.config
    names = collected(folder, config.args, config.invocation_params.dir, config.rootpath)
    was = sys.dont_write_bytecode
    sys.dont_write_bytecode = False
    try:
        for name in share_first(names, int(worker[2:]), workers):
            try:
                importlib.import_module(name)
            except (Exception, pytest.skip.Exception, pytest.fail.Exception):
                sys.modules.pop(name, None)
    finally:
        sys.dont_write_bytecode = was
