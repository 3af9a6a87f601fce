"""A real PC/SC stack for the social security card tests: pcscd + vsmartcard-vpcd.

The session fixture makes sure the Debian packages are there (installing them
when we are root, as scripts/lib/bootstrap.sh would), uses a pcscd that is
already running or starts ``pcscd --foreground`` itself (and stops only the one
it started), and waits until the ``Virtual PCD 00 00`` reader shows up. A test
is skipped, with the reason, only when pcscd truly cannot run here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

VPCD_READER = "Virtual PCD 00 00"
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
PACKAGES = ["pcscd", "vsmartcard-vpcd"]


def _readers() -> list[str] | None:
    from devices.sscard.pyscard_backend import list_readers
    from kiosk.errors import DeviceUnavailable
    try:
        return list_readers()
    except DeviceUnavailable:
        return None


def reader_empty(name: str) -> bool:
    """pcscd's own view (its event handler's): no card in reader ``name``.

    vpcd takes the next virtual card only after pcscd has seen the last one leave;
    inserting earlier makes pcscd keep the old card's (now mute) state.
    """
    from smartcard import scard
    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    try:
        hresult, states = scard.SCardGetStatusChange(
            ctx, 0, [(name, scard.SCARD_STATE_UNAWARE)])
        return hresult == scard.SCARD_S_SUCCESS and bool(states[0][1] & scard.SCARD_STATE_EMPTY)
    finally:
        scard.SCardReleaseContext(ctx)


def _installed() -> bool:
    return shutil.which("pcscd") is not None and VPCD_DRIVER.exists()


def _install() -> str:
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "not root (or no apt-get): cannot install " + " ".join(PACKAGES)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900,
                              check=False)
        if done.returncode != 0:
            return f"{' '.join(cmd)} failed: {done.stderr.strip()[-300:]}"
    return ""


def wait_for(condition: Callable[[], object], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


@pytest.fixture(scope="session")
def pcscd() -> Iterator[str]:
    if not _installed():
        problem = _install()
        if problem or not _installed():
            pytest.skip(f"pcscd cannot run here: {problem or 'packages missing after install'}")
    started: subprocess.Popen[bytes] | None = None
    current = _readers()
    if current is None:                      # no PC/SC service yet: start our own
        pcscd_bin = shutil.which("pcscd")
        assert pcscd_bin is not None
        started = subprocess.Popen([pcscd_bin, "--foreground"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        wait_for(lambda: started is not None and (started.poll() is not None
                                                  or VPCD_READER in (_readers() or [])))
        if started.poll() is not None:
            err = started.stderr.read().decode(errors="replace") if started.stderr else ""
            started.communicate()
            pytest.skip(f"pcscd cannot run here (exit {started.returncode}): {err[-300:]}")
    if not wait_for(lambda: VPCD_READER in (_readers() or [])):
        pytest.fail(f"pcscd runs but {VPCD_READER!r} never appeared: {_readers()} "
                    "(is /etc/reader.conf.d/vpcd installed?)")
    yield VPCD_READER
    if started is not None:
        started.terminate()
        try:
            started.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            started.kill()
            started.communicate()
