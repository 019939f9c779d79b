"""The run lock of each database adapter, held and contended for real."""

from __future__ import annotations

import os
import signal
import textwrap
import time

import pytest

import forkserver

from lockgate.database import create_engine_from_settings
from lockgate.dialects import adapter_for
from lockgate.errors import LockTimeoutError


@pytest.fixture
def engine(db_url):
    engine = create_engine_from_settings(db_url)
    yield engine
    engine.dispose()


def _lock(engine, timeout, on_wait=None):
    return adapter_for(engine.dialect).run_lock(engine, "lockgate_versions", timeout, on_wait)


def test_second_holder_times_out_naming_the_first(engine, db_url):
    other = create_engine_from_settings(db_url)
    waits = []
    try:
        with _lock(engine, 5):
            started = time.monotonic()
            with pytest.raises(LockTimeoutError) as caught:
                with _lock(other, 0.5, waits.append):
                    pytest.fail("the lock was granted twice")
            assert time.monotonic() - started < 5
        assert "--lock-timeout" in str(caught.value)
        assert len(waits) == 1
        holder = waits[0]
        assert "did not say" not in holder, holder
        assert str(os.getpid()) in holder or "server process" in holder or "connection " in holder
        assert holder in str(caught.value)
    finally:
        other.dispose()


def test_lock_is_free_again_after_release_and_after_an_error(engine, db_url):
    other = create_engine_from_settings(db_url)
    try:
        with _lock(engine, 5):
            pass
        with _lock(other, 0.5):
            pass
        with pytest.raises(RuntimeError):
            with _lock(engine, 5):
                raise RuntimeError("a script failed")
        with _lock(other, 0.5):
            pass
    finally:
        other.dispose()


def test_lock_names_are_per_table(engine, db_url):
    other = create_engine_from_settings(db_url)
    adapter = adapter_for(engine.dialect)
    try:
        with adapter.run_lock(engine, "one_table", 5):
            with adapter.run_lock(other, "another_table", 0.5):
                pass
    finally:
        other.dispose()


def test_waiter_gets_the_lock_when_the_holder_releases(engine, db_url):
    holder = forkserver.popen(["-c", _HOLD, db_url, "1.0"], stderr=None)
    try:
        assert holder.stdout.readline().strip() == "locked"
        waits = []
        started = time.monotonic()
        with _lock(engine, 20, waits.append):
            waited = time.monotonic() - started
        assert waits, "the waiter was not told the lock was busy"
        assert 0.3 < waited < 15
    finally:
        holder.wait(20)
        holder.stdout.close()


def test_lock_dies_with_a_killed_holder(engine, db_url):
    holder = forkserver.popen(["-c", _HOLD, db_url, "120"], stderr=None)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockTimeoutError):
            with _lock(engine, 0.3):
                pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        with _lock(engine, 15):
            pass
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        holder.stdout.close()


_HOLD = textwrap.dedent("""
    import sys, time
    from lockgate.database import create_engine_from_settings
    from lockgate.dialects import adapter_for
    engine = create_engine_from_settings(sys.argv[1])
    with adapter_for(engine.dialect).run_lock(engine, "lockgate_versions", 5):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
    engine.dispose()
""")
