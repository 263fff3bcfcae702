"""The log on a full disk: no traceback reaches the terminal, and the failure is reported."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxconsole import logs

DEV_FULL = Path("/dev/full")


@pytest.fixture
def fresh_log() -> Iterator[None]:
    """No cxconsole log handler and no recorded failure before or after the test."""

    def drop() -> None:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if isinstance(h, logs.LogFile)]:
            root.removeHandler(handler)
            handler.close()
        logs.clear_failure()

    drop()
    yield
    drop()


def state_log(home: Path) -> Path:
    return home / "state" / "cxconsole" / "cxconsole.log"


def log_on_dev_full(home: Path) -> Path:
    """The state dir's log file is /dev/full: every write fails with ENOSPC."""
    path = state_log(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(DEV_FULL)
    return path


needs_dev_full = pytest.mark.skipif(not DEV_FULL.exists(), reason="no /dev/full on this system")


@needs_dev_full
def test_a_full_disk_prints_nothing_and_is_reported(isolated_home: Path):
    path = log_on_dev_full(isolated_home)
    mode = DEV_FULL.stat().st_mode
    code = (
        "import logging\n"
        "from cxconsole import logs\n"
        "logs.setup_logging()\n"
        "log = logging.getLogger('cxconsole.import')\n"
        "for n in range(5000):\n"
        "    log.info('batch %d sent', n)\n"
        "found = logs.failure()\n"
        "print(found.reason, found.path, sep='\\n')\n"
    )
    env = {**os.environ, "XDG_STATE_HOME": str(isolated_home / "state")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    # Nothing on stderr: not logging's "--- Logging error ---", not the exit-time flush.
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == ["ENOSPC", str(path)]
    assert DEV_FULL.stat().st_mode == mode  # the device's permissions are not ours to change


@needs_dev_full
def test_the_core_hears_of_the_failure_once(
    isolated_home: Path, fresh_log: None, capfd: pytest.CaptureFixture[str]
):
    path = log_on_dev_full(isolated_home)
    heard: list[logs.LogFailure] = []
    remove = logs.on_failure(heard.append)
    try:
        logs.setup_logging()
        log = logging.getLogger("cxconsole.import")
        for n in range(100):
            log.warning("batch %d refused", n)
    finally:
        remove()
    assert len(heard) == 1
    assert (heard[0].path, heard[0].reason) == (path, "ENOSPC")
    assert logs.failure() == heard[0]
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_a_log_that_cannot_be_opened_is_reported(isolated_home: Path, fresh_log: None):
    state = isolated_home / "state"
    state.mkdir(parents=True)
    (state / "cxconsole").write_text("a file where the state dir should be")
    logs.setup_logging()
    found = logs.failure()
    assert found is not None and found.path == state_log(isolated_home)
    assert not any(isinstance(h, logs.LogFile) for h in logging.getLogger().handlers)


def test_the_log_is_private_and_still_written(isolated_home: Path, fresh_log: None):
    logs.setup_logging()
    logging.getLogger("cxconsole.test").warning("hello %s", "log")
    for handler in logging.getLogger().handlers:
        handler.flush()
    path = state_log(isolated_home)
    assert "hello log" in path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600
    assert logs.failure() is None


def _mount_tiny_tmpfs(where: Path) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)], capture_output=True
    )
    return done.returncode == 0


def test_a_disk_that_fills_mid_run_and_is_freed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_log: None, capfd: pytest.CaptureFixture
):
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mount_tiny_tmpfs(disk):
        pytest.skip("mounting a tmpfs needs root; the /dev/full tests cover the failure")
    try:
        monkeypatch.setenv("XDG_STATE_HOME", str(disk))
        logs.setup_logging()
        log = logging.getLogger("cxconsole.import")
        filler = disk / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            with pytest.raises(OSError) as full:
                while True:
                    os.write(fd, b"x" * 4096)
        finally:
            os.close(fd)
        assert full.value.errno == errno.ENOSPC
        for n in range(200):
            log.info("batch %d sent: %s", n, "x" * 200)
        found = logs.failure()
        assert found is not None and found.reason == "ENOSPC"
        assert found.path == disk / "cxconsole" / "cxconsole.log"
        assert capfd.readouterr() == ("", "")
        # Space freed: the same handler writes again, and a new failure would be reported.
        filler.unlink()
        logs.clear_failure()
        log.info("after the disk was freed")
        for handler in logging.getLogger().handlers:
            handler.flush()
        assert "after the disk was freed" in found.path.read_text()
        assert logs.failure() is None
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if isinstance(h, logs.LogFile)]:
            root.removeHandler(handler)
            handler.close()
        subprocess.run(["umount", "-l", str(disk)], check=False)
