"""``scripts/install --root DIR``: every file of a terminal staged under DIR, checked
with systemd's own tools (systemd-analyze verify, systemd-sysusers, systemd-tmpfiles)
and against the manifest of owners and modes."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)
UNITS = ("kiosk-app.service", "kiosk-sender.service", "kiosk-sleep.service",
         "kiosk-sleep.timer", "kiosk-wake.service", "kiosk-wake.timer")


def install(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "scripts" / "install"), *args], cwd="/",
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("stage")
    secret = root.parent / "terminal.key"
    secret.write_text(os.urandom(32).hex())
    done = install("--root", str(root), "--deps-from", str(VENV), "--terminal-id",
                   "XS-NY-0001", "--ref-prefix", "NY", "--backoffice-url",
                   "https://backoffice.example", "--terminal-secret", str(secret),
                   "--days", "Mon..Sat", "--on", "08:00", "--off", "18:30")
    assert done.returncode == 0, done.stderr
    yield root


def manifest(root: Path) -> dict[str, tuple[str, str, str, str]]:
    lines = (root / "opt/kiosk/manifest.tsv").read_text().splitlines()[1:]
    return {f[0]: (f[1], f[2], f[3], f[4]) for f in (line.split("\t") for line in lines)}


def test_the_system_is_left_alone(staged: Path) -> None:
    for path in ("/opt/kiosk", "/etc/kiosk", "/var/lib/kiosk", "/etc/systemd/system/"
                 "kiosk-app.service", "/etc/udev/rules.d/70-kiosk.rules"):
        assert not Path(path).exists(), path
    with pytest.raises(KeyError):
        pwd.getpwnam("kiosk")
    # What a real install would run is listed, in order, not run.
    actions = (staged / "opt/kiosk/actions.txt").read_text()
    assert actions.index("systemd-sysusers") < actions.index("systemd-tmpfiles") \
        < actions.index("systemctl daemon-reload")


def test_the_layout_of_a_terminal(staged: Path) -> None:
    current = staged / "opt/kiosk/current"
    assert current.is_symlink() and not current.readlink().is_absolute()
    release = current.resolve()
    assert (release / "VERSION").read_text().strip() == release.name
    for launcher in ("kiosk-app", "kiosk-sender", "kiosk-selftest", "kiosk-migrate",
                     "kiosk-power", "kiosk-assets"):
        assert os.access(release / "bin" / launcher, os.X_OK), launcher
    assert not (release / "tests").exists()
    # The release's own venv sees the dependencies (linked, --deps-from) and its own code.
    out = subprocess.run([str(release / "venv/bin/python"), "-P", "-c",
                          "import kivy, cryptography, kiosk; print(kiosk.__file__)"],
                         env={"PYTHONPATH": str(release), "KIVY_NO_ARGS": "1",
                              "KIVY_LOG_MODE": "PYTHON"},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith(str(release))
    config = (staged / "etc/kiosk/kiosk.yaml").read_text()
    assert "id: XS-NY-0001" in config and "data_dir: /var/lib/kiosk" in config
    assert "sender: service" in config
    timer = (staged / "etc/systemd/system/kiosk-sleep.timer").read_text()
    assert "OnCalendar=Mon..Sat *-*-* 18:30:00" in timer


def test_modes_and_the_manifest_agree_with_the_disk(staged: Path) -> None:
    listed = manifest(staged)
    assert listed["/var/lib/kiosk"] == ("d", "0700", "kiosk", "kiosk")
    assert listed["/etc/kiosk/secrets/terminal.key"] == ("f", "0600", "kiosk", "kiosk")
    assert listed["/etc/kiosk/kiosk.yaml"] == ("f", "0640", "root", "kiosk")
    for unit in UNITS:
        assert listed[f"/etc/systemd/system/{unit}"] == ("f", "0644", "root", "root")
    for path, (kind, mode, _owner, _group) in listed.items():
        on_disk = staged / path.lstrip("/")
        if kind == "l":
            assert on_disk.is_symlink(), path
            continue
        assert f"{on_disk.stat().st_mode & 0o7777:04o}" == mode, path


def test_sysusers_and_tmpfiles_give_the_tree_the_owners_of_the_manifest(
        staged: Path, tmp_path: Path) -> None:
    """systemd's own tools, applied to a copy of the staged tree as on first boot: the
    kiosk user without a login shell, and every directory tmpfiles.d declares owned and
    moded as the manifest says."""
    for tool in ("systemd-sysusers", "systemd-tmpfiles"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian package systemd)")
    if os.geteuid() != 0:
        pytest.skip("changing owners needs root")
    image = tmp_path / "image"
    shutil.copytree(staged / "etc", image / "etc", symlinks=True)
    shutil.copytree(staged / "var", image / "var", symlinks=True)
    for tool, conf in (("systemd-sysusers", "etc/sysusers.d/kiosk.conf"),
                       ("systemd-tmpfiles", "etc/tmpfiles.d/kiosk.conf")):
        args = [tool, f"--root={image}"] + (["--create"] if "tmpfiles" in tool else [])
        done = subprocess.run([*args, str(image / conf)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    users = {f[0]: f for f in (line.split(":") for line in
                               (image / "etc/passwd").read_text().splitlines())}
    assert users["kiosk"][6] == "/usr/sbin/nologin"
    assert users["kiosk"][5] == "/var/lib/kiosk"
    names = {int(users["kiosk"][2]): "kiosk", 0: "root"}
    listed = manifest(staged)
    declared = [line.split()[1] for line in
                (staged / "etc/tmpfiles.d/kiosk.conf").read_text().splitlines()
                if line.startswith("d ")]
    assert "/var/lib/kiosk" in declared and "/etc/kiosk/secrets" in declared
    for path in declared:
        st = (image / path.lstrip("/")).stat()
        _kind, mode, owner, _group = listed[path]
        assert (names[st.st_uid], f"{st.st_mode & 0o7777:04o}") == (owner, mode), path


def _verify(units_dir: Path, opt: Path, units: list[Path]) -> subprocess.CompletedProcess[str]:
    """``systemd-analyze verify`` as on the terminal: systemd is not PID 1 here, so no
    manager is asked (--man=no, --generators=no); the staged unit directory goes in
    front of the system's (SYSTEMD_UNIT_PATH ending in ':' keeps the defaults, so
    sysinit.target and graphical.target are found); and, in a mount namespace of its
    own, the staged /opt is mounted on /opt so that every ExecStart= resolves to the
    staged release's launchers (the host is not changed)."""
    script = ('mount --bind "$1" /opt && shift && exec systemd-analyze verify '
              '--man=no --generators=no "$@"')
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                           "sh", str(opt), *map(str, units)],
                          env={**os.environ, "SYSTEMD_UNIT_PATH": f"{units_dir}:"},
                          capture_output=True, text=True, timeout=60)


def test_the_units_pass_systemd_analyze_verify(staged: Path, tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    if shutil.which("cage") is None:
        pytest.skip("cage is not installed (Debian package cage): ExecStart= names it")
    units_dir = staged / "etc/systemd/system"
    done = _verify(units_dir, staged / "opt", [units_dir / u for u in UNITS])
    if "unshare failed" in done.stderr or "mount:" in done.stderr:
        pytest.skip(f"no mount namespace here: {done.stderr.strip()}")
    assert done.returncode == 0 and done.stdout + done.stderr == "", done.stderr
    # The same invocation does see a mistake: a misspelt key and a missing command.
    bad = tmp_path / "units"
    bad.mkdir()
    text = (units_dir / "kiosk-sender.service").read_text()
    (bad / "kiosk-sender.service").write_text(
        text.replace("WatchdogSec=", "WatchdogSecs=").replace("bin/kiosk-sender",
                                                              "bin/kiosk-sendr"))
    wrong = _verify(bad, staged / "opt", [bad / "kiosk-sender.service"])
    assert "WatchdogSecs" in wrong.stderr and "kiosk-sendr" in wrong.stderr


def test_udev_rules_name_the_devices_of_the_list(staged: Path) -> None:
    rules = (staged / "etc/udev/rules.d/70-kiosk.rules").read_text()
    idcard = next(line for line in rules.splitlines() if 'SYMLINK+="kiosk/idcard"' in line)
    assert 'ATTRS{idVendor}=="0400"' in idcard and 'ATTRS{idProduct}=="c35a"' in idcard
    assert 'GROUP="kiosk"' in idcard and 'MODE="0660"' in idcard


def test_a_second_run_keeps_the_terminal_configuration_and_adds_its_devices(
        staged: Path) -> None:
    config = staged / "etc/kiosk/kiosk.yaml"
    edited = config.read_text().replace("site_profile: township", "site_profile: bank-branch")
    config.write_text(edited + "devices:\n  printer:\n    driver: usb\n"
                      "    usb_vendor: 0x0416\n    usb_product: 0x5011\n")
    with open(staged / "etc/kiosk/devices.tsv", "a") as f:
        f.write("scanner  1eab  8003  tty  a QR scanner in CDC mode\n")
    done = install("--root", str(staged), "--deps-from", str(VENV), "--terminal-id",
                   "XS-OTHER-0002")
    assert done.returncode == 0, done.stderr
    kept = config.read_text()
    assert "site_profile: bank-branch" in kept and "XS-OTHER" not in kept
    rules = (staged / "etc/udev/rules.d/70-kiosk.rules").read_text()
    assert 'SUBSYSTEM=="tty", ATTRS{idVendor}=="1eab", ATTRS{idProduct}=="8003"' in rules
    assert 'ATTRS{idVendor}=="0416", ATTRS{idProduct}=="5011", GROUP="kiosk", ' \
           'MODE="0660", SYMLINK+="kiosk/printer"' in rules
    bad = install("--root", str(staged), "--deps-from", str(VENV))
    assert bad.returncode == 0
    (staged / "etc/kiosk/devices.tsv").write_text("scanner 1eab 80 tty\n")
    refused = install("--root", str(staged), "--deps-from", str(VENV))
    assert refused.returncode == 1 and "devices.tsv:1" in refused.stderr


def test_a_release_tarball_is_built_from_the_tree_and_installs(tmp_path: Path) -> None:
    from deploy.installer.layout import Layout
    from deploy.installer.release import install_release, switch

    done = install("--build-release", str(tmp_path / "out"), "--tar", "--version", "9.9.9")
    assert done.returncode == 0, done.stderr
    tarball = Path(done.stdout.strip())
    assert tarball.name == "kiosk-9.9.9.tar.gz" and tarball.is_file()
    layout = Layout(prefix=tmp_path / "opt/kiosk", etc=tmp_path / "etc",
                    data=tmp_path / "data", chown=False)
    switch(layout, install_release(layout, tarball, deps_from=VENV).name)
    release = (tmp_path / "opt/kiosk/current").resolve()
    assert release.name == "9.9.9" and (release / "VERSION").read_text() == "9.9.9\n"
    assert (release / "kiosk/service/notify.py").is_file()
    # Byte-compiled at install (the kiosk runs with PYTHONDONTWRITEBYTECODE on a release
    # it cannot write): no start compiles a module from source.
    import importlib.util
    sources = [p for top in ("kiosk", "devices", "screens", "backoffice")
               for p in (release / top).rglob("*.py")]
    assert sources and all(Path(importlib.util.cache_from_source(str(p))).is_file()
                           for p in sources)
    assert (release / "deploy/systemd/kiosk-app.service").is_file()
    assert not (release / "tests").exists() and not (release / "var").exists()
    # The same version twice is refused, not overwritten.
    from deploy.installer.release import ReleaseError
    with pytest.raises(ReleaseError, match="already installed"):
        install_release(layout, tarball, deps_from=VENV)
