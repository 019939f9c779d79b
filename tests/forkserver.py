"""Python child processes without the interpreter's start-up, for the tests.

A test that must prove what a real process does (exit codes, signals, a kill
in the middle of a script, concurrent deploys) runs ``python -m lockgate ...``
as a child. Starting Python and importing lockgate, SQLAlchemy and the drivers
costs about 0.6 s of CPU a child, most of a short fault test. So each test
process keeps one server that has imported them once and forks per request:

- the server forks a small waiter, which forks the program itself;
- the program is a process of its own, with the test's folder, environment,
  argv and standard streams (pipes or files the test passes over the socket),
  so a signal or SIGKILL sent to ``pid`` lands on it alone;
- the waiter reports the program's pid, then its exit status, on the request's
  socket, which is what ``wait`` reads.

``popen(args)`` and ``run(args)`` take what follows ``python`` on a command
line (``-m module ...``, ``-c code ...``, or a console script's path) and
behave like ``subprocess.Popen`` and ``subprocess.run`` with text streams.
The server is single-threaded and holds no connections, so forking it is safe.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

#: Imported once by the server beside all of lockgate; a child finds them already loaded.
PRELOAD = ("sqlalchemy", "sqlalchemy.dialects.postgresql", "sqlalchemy.dialects.mysql",
           "sqlalchemy.dialects.sqlite", "psycopg", "pymysql", "pytest", "sqlalchemy.orm", "alembic.autogenerate")

SERVER = r"""
import atexit, gc, importlib, io, json, os, runpy, select, signal, socket, sys, threading

import lockgate, pkgutil
everything = [m.name for m in pkgutil.walk_packages(lockgate.__path__, "lockgate.")
              if m.name not in ("lockgate.pytest_plugin", "lockgate.__main__")]
for name in [*sys.argv[2:], *everything]:  # lockgate whole: which module a command needs varies
    try:
        importlib.import_module(name)
    except ImportError:
        pass
try:  # what each child would do first: compile the splitter's regexes, build PyMySQL's TLS context
    from lockgate.sqlsplit import split_sql
    for dialect, body in (("postgresql", "$$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql"),
                          ("mysql", "BEGIN RETURN 1; END"), ("sqlite", "BEGIN SELECT 1; END")):
        split_sql("CREATE TABLE a (id INTEGER);\nINSERT INTO a VALUES (1);\n"
                  f"CREATE FUNCTION f() {body};\n", dialect)
    import pymysql.connections
    from lockgate.dialects import pymysql_tls
    shared = pymysql_tls.connection_class(pymysql.connections.Connection)
    shared._create_ssl_ctx(object.__new__(shared), {})
except ImportError:
    pass
gc.freeze()  # what is loaded now is never garbage: a child's collections skip it, and its pages stay shared
listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
listener.bind(sys.argv[1])
listener.listen(64)
print("ready", flush=True)
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # waiters are reaped by the kernel


def program(request, fds):
    os.setpgid(0, 0) if request["new_group"] else None
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    # As a command typed at a terminal: ctrl-c raises KeyboardInterrupt, even when the
    # test run itself was started in the background (where a shell ignores SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for target, fd in zip((0, 1, 2), fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    sys.stdin = open(0, encoding="utf-8", closefd=False)
    unbuffered = bool(request["env"].get("PYTHONUNBUFFERED"))
    sys.stdout, sys.stderr = (io.TextIOWrapper(io.FileIO(fd, "w", closefd=False), encoding="utf-8",
                                               line_buffering=line, write_through=unbuffered)
                              for fd, line in ((1, unbuffered), (2, True)))
    args = request["args"]
    code = 0
    try:
        if args[0] == "-m":
            sys.argv = [args[1], *args[2:]]
            sys.path[0] = os.getcwd()
            runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        elif args[0] == "-c":
            sys.argv = ["-c", *args[2:]]
            sys.path[0] = ""
            exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
        else:
            sys.argv = list(args)
            sys.path[0] = os.path.dirname(os.path.abspath(args[0]))
            runpy.run_path(args[0], run_name="__main__")
    except SystemExit as exit_:
        code = exit_.code
    except KeyboardInterrupt:  # as Python does: the traceback, then death by SIGINT
        import traceback
        traceback.print_exc()
        sys.stderr.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 1
    if not isinstance(code, int):
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    try:  # what the interpreter does on its way out
        threading._shutdown()
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


while True:
    ready, _, _ = select.select([listener, sys.stdin], [], [])
    if sys.stdin in ready:  # the test process has gone
        break
    connection, _ = listener.accept()
    message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
    request = json.loads(message)
    if os.fork() == 0:  # the waiter
        listener.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        pid = os.fork()
        if pid == 0:
            connection.close()
            program(request, fds)
        for fd in fds:
            os.close(fd)
        connection.send(str(pid).encode())
        _, status = os.waitpid(pid, 0)
        connection.send(str(os.waitstatus_to_exitcode(status)).encode())
        os._exit(0)
    connection.close()
    for fd in fds:
        os.close(fd)
"""

#: The virtualenv's bin/ (abspath: '..' out, symlinks kept, so not the base interpreter's).
VENV_BIN = Path(os.path.abspath(sys.executable)).parent


def is_venv_python(path: str | Path) -> bool:
    """The virtualenv's own interpreter (not the base one its symlink points to)."""
    path = Path(os.path.abspath(path))
    return path.parent == VENV_BIN and path.name.startswith("python")


def runs_on_venv_python(program: str | Path) -> bool:
    """A launcher (console script) whose ``#!`` line names the virtualenv's interpreter: forkable."""
    try:
        with open(program, "rb") as file:
            first = file.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and is_venv_python(first[2:].decode(errors="replace").strip())


_lock = threading.Lock()
_server: subprocess.Popen | None = None
_address: str | None = None


def _server_address() -> str:
    global _server, _address
    with _lock:
        if _server is None or _server.poll() is not None:
            folder = tempfile.mkdtemp(prefix="lockgate-fork-")
            _address = os.path.join(folder, "socket")
            _server = subprocess.Popen([sys.executable, "-c", SERVER, _address, *PRELOAD],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd="/")
            assert _server.stdout is not None and _server.stdout.readline() == "ready\n", \
                "the fork server did not start"
            atexit.register(_stop, _server, folder)
        assert _address is not None
        return _address


def _stop(server: subprocess.Popen, folder: str) -> None:
    server.kill()
    server.wait()
    for pipe in (server.stdin, server.stdout):
        if pipe is not None:
            pipe.close()
    for name in os.listdir(folder):
        os.unlink(os.path.join(folder, name))
    os.rmdir(folder)


class ForkedProcess:
    """A child forked from the warm server, used like ``subprocess.Popen``."""

    def __init__(self, args: list[str], *, cwd: str | Path | None = None, env: dict[str, str] | None = None,
                 stdin: int | None = None, stdout: int | None = subprocess.PIPE,
                 stderr: int | None = subprocess.PIPE, start_new_session: bool = False):
        self.args = [str(a) for a in args]
        self.returncode: int | None = None
        self.stdout: IO[str] | None = None
        self.stderr: IO[str] | None = None
        self.stdin: IO[str] | None = None
        theirs: list[int] = []
        stdin_fd = os.open(os.devnull, os.O_RDONLY)
        theirs.append(stdin_fd)
        if stdin == subprocess.PIPE:
            read, write = os.pipe()
            os.close(stdin_fd)
            theirs[0] = read
            self.stdin = open(write, "w", encoding="utf-8")
        for wanted, name in ((stdout, "stdout"), (stderr, "stderr")):
            if wanted == subprocess.PIPE:
                read, write = os.pipe()
                theirs.append(write)
                setattr(self, name, open(read, encoding="utf-8", errors="replace"))
            elif wanted == subprocess.STDOUT:
                theirs.append(theirs[1])
            elif wanted == subprocess.DEVNULL:
                theirs.append(os.open(os.devnull, os.O_WRONLY))
            elif wanted is not None:  # a file descriptor of the test's (a terminal, a file)
                theirs.append(os.dup(wanted))
            else:  # the test's own stream
                theirs.append(os.dup(1 if name == "stdout" else 2))
        request = {"args": self.args, "cwd": str(cwd or os.getcwd()), "new_group": start_new_session,
                   "env": dict(os.environ if env is None else env)}
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._socket.connect(_server_address())
            socket.send_fds(self._socket, [json.dumps(request).encode()], theirs)
        finally:
            for fd in set(theirs):
                os.close(fd)
        answer = self._socket.recv(64)
        assert answer, "the fork server did not start the program"
        self.pid = int(answer)

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self._socket], [], [], 0)[0]:
            self._finish(self._socket.recv(64))
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self._socket], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            self._finish(self._socket.recv(64))
        assert self.returncode is not None
        return self.returncode

    def communicate(self, input: str | None = None, timeout: float | None = None) -> tuple[str, str]:
        """Read both pipes to their end (on threads, as ``subprocess`` does) and wait."""
        if self.stdin is not None:
            if input:
                self.stdin.write(input)
            self.stdin.close()
        results: dict[str, str] = {}
        readers = [threading.Thread(target=lambda n=n, s=s: results.__setitem__(n, s.read()), daemon=True)
                   for n, s in (("out", self.stdout), ("err", self.stderr)) if s is not None]
        for reader in readers:
            reader.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        for reader in readers:
            reader.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if reader.is_alive():
                raise subprocess.TimeoutExpired(self.args, timeout)
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        for stream in (self.stdout, self.stderr):
            if stream is not None:
                stream.close()
        return results.get("out", ""), results.get("err", "")

    def send_signal(self, number: int) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, number)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(15)

    def kill(self) -> None:
        self.send_signal(9)

    def _finish(self, answer: bytes) -> None:
        assert answer, "the fork server's waiter ended without the program's exit status"
        self.returncode = int(answer)
        self._socket.close()

    def __enter__(self) -> ForkedProcess:
        return self

    def __exit__(self, *exc) -> None:
        if self.returncode is None:
            self.kill()
            self.wait()
        for stream in (self.stdout, self.stderr, self.stdin):
            if stream is not None and not stream.closed:
                stream.close()


#: ``python -m pytest ARGS`` in a forked process, with lockgate imported afresh as a new
#: interpreter would: the server has imported it, and pytest imports its plugins' packages
#: itself, rewriting their asserts under the session's warning filters (lockgate's plugin is
#: one). SQLAlchemy and the drivers stay imported.
PYTEST_WITH_LOCKGATE_UNIMPORTED = """
import gc, os, runpy, sys
for name in [name for name in sys.modules if name == "lockgate" or name.startswith("lockgate.")]:
    del sys.modules[name]
gc.freeze()
sys.path[0] = os.getcwd()
runpy.run_module("pytest", run_name="__main__", alter_sys=True)
"""


def pytest_args(*args: str) -> list[str]:
    """What to fork for ``python -m pytest ARGS``."""
    return ["-c", PYTEST_WITH_LOCKGATE_UNIMPORTED, *args]


def popen(args: list[str], **kwargs) -> ForkedProcess:
    """``subprocess.Popen([sys.executable, *args], text=True, ...)``, forked from the warm server."""
    return ForkedProcess(args, **kwargs)


def run(args: list[str], *, timeout: float | None = None, input: str | None = None,
        **kwargs) -> subprocess.CompletedProcess:
    """``subprocess.run([sys.executable, *args], capture_output=True, text=True)``, forked."""
    if input is not None:
        kwargs["stdin"] = subprocess.PIPE
    with ForkedProcess(args, **kwargs) as process:
        try:
            out, err = process.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        return subprocess.CompletedProcess([sys.executable, *process.args], process.wait(), out, err)
