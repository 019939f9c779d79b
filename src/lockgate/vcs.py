"""Which version-control commit the scripts being run came from.

Recorded with each applied script so ``history`` can answer "what exactly ran
here, and from where". Git is asked once per run, as an argument list (never
through a shell), and only when something is about to run.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


class Revisions:
    """The commit of a script folder, ``<sha>-dirty`` for files that differ from it."""

    def __init__(self, folder: str | Path | None) -> None:
        self.folder = Path(folder) if isinstance(folder, (str, Path)) else None
        self._loaded = False
        self.head: str | None = None
        self.dirty: set[str] = set()

    def for_files(self, names: list[str]) -> str | None:
        if not self._loaded:
            self._load()
        if self.head is None:
            return None
        return f"{self.head}-dirty" if self.dirty.intersection(names) else self.head

    def _load(self) -> None:
        self._loaded = True
        if self.folder is None or not self.folder.is_dir() or shutil.which("git") is None:
            return
        head = _git(self.folder, "rev-parse", "HEAD")
        if head is None:
            return
        self.head = head.strip()
        changed = _git(self.folder, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
        for entry in (changed or "").split("\0"):
            if len(entry) > 3:
                self.dirty.add(Path(entry[3:]).name)


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None
