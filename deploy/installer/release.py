"""Releases: built from a working tree (a directory or a tarball with a VERSION file and
bin/ launchers), installed beside the others under ``<prefix>/<version>`` with a venv of
its own, and ``<prefix>/current`` switched to one atomically."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from deploy.installer.layout import DEPLOY, Layout

#: What of a working tree goes into a release (tests, var/ and the venv do not).
INCLUDE = ("kiosk", "devices", "screens", "simenv", "backoffice", "config", "deploy",
           "scripts/lib", "docs", "pyproject.toml", "README.md")


class ReleaseError(Exception):
    """A release that cannot be built or installed; the message says why."""


def tree_files(src: Path) -> list[Path]:
    """The files of ``src`` a release takes: git's view (tracked, and new files git does
    not ignore) when it is a checkout, else every file under :data:`INCLUDE`."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(src), "ls-files", "-z", "--cached", "--others",
             "--exclude-standard", "--", *INCLUDE],
            check=True, capture_output=True).stdout.decode().split("\0")
        files = [Path(f) for f in listed if f]
    except (OSError, subprocess.CalledProcessError):
        files = [p.relative_to(src) for top in INCLUDE for p in
                 ((src / top).rglob("*") if (src / top).is_dir() else [src / top])
                 if p.is_file() and "__pycache__" not in p.parts]
    return sorted(f for f in files if (src / f).is_file())


def default_version(src: Path) -> str:
    text = (src / "pyproject.toml").read_text(encoding="utf-8")
    base = next((line.split("=", 1)[1].strip().strip('"') for line in text.splitlines()
                 if line.startswith("version")), "0")
    try:
        sha = subprocess.run(["git", "-C", str(src), "rev-parse", "--short", "HEAD"],
                             check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return base
    return f"{base}+g{sha}"


def build_release(src: Path, out: Path, *, version: str | None = None,
                  tarball: bool = False) -> Path:
    """``out/kiosk-<version>`` (or ``.tar.gz``) from the working tree ``src``."""
    version = version or default_version(src)
    if not version or "/" in version or version.startswith("."):
        raise ReleaseError(f"bad release version {version!r}")
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"kiosk-{version}"
    if target.exists():
        raise ReleaseError(f"{target} exists")
    for rel in tree_files(src):
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / rel, dest)
    bindir = target / "bin"
    bindir.mkdir()
    for launcher in sorted((DEPLOY / "bin").iterdir()):
        shutil.copy2(launcher, bindir / launcher.name)
    (target / "VERSION").write_text(version + "\n", encoding="utf-8")
    if not tarball:
        return target
    archive = out / f"kiosk-{version}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(target, arcname=target.name)
    shutil.rmtree(target)
    return archive


def _unpacked(source: Path, scratch: Path) -> Path:
    if source.is_dir():
        return source
    if not tarfile.is_tarfile(source):
        raise ReleaseError(f"{source}: neither a release directory nor a tarball")
    with tarfile.open(source) as tar:
        tar.extractall(scratch, filter="data")
    tops = [p for p in scratch.iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise ReleaseError(f"{source}: a release tarball holds one directory")
    return tops[0]


def release_version(release: Path) -> str:
    try:
        version = (release / "VERSION").read_text(encoding="utf-8").strip()
    except OSError:
        raise ReleaseError(f"{release}: no VERSION file: not a release") from None
    if not version or "/" in version or version in ("current", "previous"):
        raise ReleaseError(f"{release}: bad VERSION {version!r}")
    return version


def purelib(python: Path) -> str:
    return subprocess.run([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()


def make_venv(release: Path, deps_from: Path | None) -> None:
    """The release's own venv. Normally its dependencies come from pip (the project's
    pyproject.toml); ``deps_from``: an existing venv's site-packages are linked through
    a .pth file instead (tests and development: no download, seconds instead of minutes)."""
    venv = release / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    args = [base, "-m", "venv"] + (["--without-pip"] if deps_from else []) + [str(venv)]
    subprocess.run(args, check=True, capture_output=True)
    if deps_from is not None:
        site = Path(purelib(venv / "bin" / "python"))
        (site / "kiosk-deps.pth").write_text(purelib(deps_from / "bin" / "python") + "\n",
                                             encoding="utf-8")
        return
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
           "--disable-pip-version-check"]
    subprocess.run([*pip, str(release)], check=True)


#: The release's own packages, byte-compiled when it is installed.
SOURCE_PACKAGES = ("kiosk", "devices", "screens", "backoffice", "simenv", "deploy")


def compile_sources(release: Path, final: Path) -> None:
    """Byte-compile the release's packages with its own interpreter. The kiosk runs
    with PYTHONDONTWRITEBYTECODE on a release it may not write (deploy/bin/common.sh):
    without these files every start would compile every module from source again.
    ``release`` is where the files are now, ``final`` where they will be (the names
    tracebacks show)."""
    packages = [str(release / p) for p in SOURCE_PACKAGES if (release / p).is_dir()]
    if not packages:
        return
    subprocess.run([str(release / "venv" / "bin" / "python"), "-m", "compileall", "-q",
                    "-j", "0", "-s", str(release), "-p", str(final), *packages],
                   check=True, capture_output=True)


def install_release(layout: Layout, source: Path, *, deps_from: Path | None = None) -> Path:
    """Copy ``source`` (directory or tarball) to ``<prefix>/<version>`` with its venv;
    returns the release directory (as on this machine). Nothing is switched."""
    with tempfile.TemporaryDirectory(prefix="kiosk-release-") as scratch:
        release = _unpacked(source, Path(scratch))
        version = release_version(release)
        final = layout.at(layout.prefix / version)
        if final.exists():
            raise ReleaseError(f"release {version} is already installed ({final})")
        work = final.with_name(f".{version}.partial")
        if work.exists():
            shutil.rmtree(work)
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(release, work, symlinks=True, ignore=shutil.ignore_patterns(
            "__pycache__", "venv"))
        try:
            make_venv(work, deps_from)
            compile_sources(work, layout.prefix / version)
        except subprocess.CalledProcessError as exc:
            shutil.rmtree(work, ignore_errors=True)
            raise ReleaseError(f"venv of {version}: {exc}") from None
        work.chmod(0o755)
        work.rename(final)
        os.utime(final)  # its time says when it was installed (installed(), prune())
    layout.record(layout.prefix / version, "d", 0o755)
    return final


def current_version(layout: Layout) -> str | None:
    link = layout.at(layout.current)
    return str(link.readlink()) if link.is_symlink() else None


def switch(layout: Layout, version: str) -> None:
    """Point ``current`` at ``version``: a new symlink renamed over the old one, so
    anything that opens ``current`` sees the old release or the new one, never neither."""
    if not layout.at(layout.prefix / version).is_dir():
        raise ReleaseError(f"release {version} is not installed")
    link = layout.at(layout.current)
    tmp = link.with_name(".current.new")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(version)
    tmp.replace(link)
    layout.record(layout.current, "l", 0o777)


def installed(layout: Layout) -> list[str]:
    """Installed releases, oldest installed first (a release directory's time is when it
    was renamed into place)."""
    prefix = layout.at(layout.prefix)
    found = [p for p in prefix.iterdir() if p.is_dir() and not p.is_symlink()
             and not p.name.startswith(".") and (p / "VERSION").exists()] \
        if prefix.is_dir() else []
    return [p.name for p in sorted(found, key=lambda p: p.stat().st_mtime)]


def previous_release(layout: Layout) -> str | None:
    """The newest installed release other than the current one."""
    others = [v for v in installed(layout) if v != current_version(layout)]
    return others[-1] if others else None


def prune(layout: Layout, keep: int = 3) -> list[str]:
    """Remove all but the ``keep`` newest releases (never the current one); returns what
    was removed. Each release holds a venv of its own: a few hundred MB."""
    current = current_version(layout)
    versions = installed(layout)
    removed = [v for v in versions[:-keep] if v != current] if keep > 0 else []
    for version in removed:
        shutil.rmtree(layout.at(layout.prefix / version))
    return removed
