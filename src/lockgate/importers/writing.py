"""Turning converted peer migrations into lockgate files, never overwriting one.

Every written script starts with ``-- imported from <tool> <kind>: <id>`` (``#``
in Python), which is how a later import of the same folder finds what was
imported before: it writes only the migrations added since, and marks
applied by the peer's ids. Versions are UTC-style timestamps like
``add_script`` makes, taken from the peer's creation dates where it has them
and bumped a second at a time so they keep the peer's order.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..authoring.new_script import VERSION_FORMAT, slugify
from ..errors import AuthoringError
from ..scripts import SCRIPT_NAME, is_ignored
from .peer import PY, PeerScript

_MARKER = re.compile(r"^(?:--|#) imported from (?P<tool>\w+) (?:revision|migration): (?P<id>.+?)\s*$")
_ID_WORDS = {"alembic": "revision", "yoyo": "migration"}


@dataclass
class WrittenScript:
    """A lockgate script made from one peer migration."""

    version: str
    peer_id: str
    paths: list[Path]
    how: str = ""


def marker(tool: str, peer_id: str, comment: str = "--") -> str:
    return f"{comment} imported from {tool} {_ID_WORDS[tool]}: {peer_id}"


def imported_versions(folder: Path, tool: str) -> dict[str, str]:
    """peer id -> version of every script in ``folder`` an earlier import of ``tool`` wrote."""
    found = {}
    for name in sorted(os.listdir(folder)):
        match = SCRIPT_NAME.match(name)
        if not match or is_ignored(name) or match["rest"] in ("_upgrade", "_downgrade"):
            continue
        with open(folder / name, encoding="utf-8", errors="replace") as stream:
            first = _MARKER.match(stream.readline())
        if first and first["tool"] == tool:
            found[first["id"]] = match["version"]
    return found


def assign_versions(peers: list[PeerScript], after: str | None = None,
                    now: dt.datetime | None = None) -> list[str]:
    """Strictly increasing 14-digit versions in the peers' order.

    A peer's creation date is used when it is later than the version before;
    otherwise (no date, or dates out of order or within one second) the version
    is the one before plus a second. Undated peers with nothing before them
    start at ``now``; ``after`` is the newest version already imported.
    """
    previous = dt.datetime.strptime(after, VERSION_FORMAT) if after else None
    versions = []
    for peer in peers:
        candidate = peer.created.replace(microsecond=0, tzinfo=None) if peer.created else None
        if previous is not None and (candidate is None or candidate <= previous):
            candidate = previous + dt.timedelta(seconds=1)
        if candidate is None:
            candidate = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0, tzinfo=None)
        versions.append(candidate.strftime(VERSION_FORMAT))
        previous = candidate
    return versions


def render_files(tool: str, peer: PeerScript, version: str) -> dict[str, str]:
    """File name -> text for one peer migration at ``version``."""
    slug = slugify(peer.slug_source)
    if peer.kind == PY:
        files = {f"{version}_{slug}.py": f"{marker(tool, peer.peer_id, '#')}\n{peer.upgrade}"}
        if peer.upgrade_sql is not None:  # run by the script's upgrade() through run_sql_file()
            files[f"{version}_upgrade.sql"] = (
                f"-- Upgrade of {tool} {_ID_WORDS[tool]} {peer.peer_id}\n{peer.upgrade_sql}")
        return files
    files = {f"{version}_{slug}.sql": f"{marker(tool, peer.peer_id)}\n{peer.upgrade}"}
    if peer.downgrade is not None:
        files[f"{version}_downgrade.sql"] = (
            f"-- Downgrade of {tool} {_ID_WORDS[tool]} {peer.peer_id}\n{peer.downgrade}")
    return files


def write_scripts(folder: Path, tool: str, peers: list[PeerScript],
                  versions: list[str]) -> list[WrittenScript]:
    """Write every peer's files into ``folder``, or none of them.

    :raises AuthoringError: when a file exists or a version is taken already,
        listing all of them, or when the folder cannot be written.
    """
    planned = [(peer, version, render_files(tool, peer, version)) for peer, version in zip(peers, versions)]
    _refuse_collisions(folder, planned)
    written: list[Path] = []
    try:
        for _, _, files in planned:
            for name, text in files.items():
                with open(folder / name, "x", encoding="utf-8", newline="\n") as handle:
                    written.append(folder / name)
                    handle.write(text)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise AuthoringError(
            f"Cannot write the imported scripts into {folder} ({exc.strerror or exc}); nothing was "
            "left behind. Fix the folder's permissions, or pass --into with a folder you can write to."
        ) from exc
    return [WrittenScript(version, peer.peer_id, [folder / name for name in files], peer.how)
            for peer, version, files in planned]


def _refuse_collisions(folder: Path, planned) -> None:
    taken: dict[str, list[str]] = {}
    for name in os.listdir(folder):
        match = SCRIPT_NAME.match(name)
        if match and not is_ignored(name):
            taken.setdefault(str(int(match["version"])), []).append(name)
    clashes = []
    for _, version, files in planned:
        for name in files:
            if (folder / name).exists():
                clashes.append(f"{name} exists")
        for name in taken.get(str(int(version)), []):
            if name not in files:
                clashes.append(f"version {version} is taken by {name}")
    if clashes:
        raise AuthoringError(
            f"Importing into {folder} would overwrite or collide with existing scripts, so nothing "
            f"was written: {'; '.join(sorted(set(clashes)))}. Import into an empty folder with "
            "--into, or move those files away first."
        )
