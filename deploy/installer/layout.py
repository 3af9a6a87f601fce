"""Where a terminal's files go, and the manifest of what was staged (path, kind, mode,
owner): ``--root DIR`` writes everything under DIR and changes no owner, so the
manifest is how a test or a person checks who would own what."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

#: The templates of deploy/ (this package's parent directory).
DEPLOY = Path(__file__).resolve().parents[1]


@dataclass
class Layout:
    #: Everything is written under this directory ("/" on a real install).
    root: Path = Path("/")
    prefix: Path = Path("/opt/kiosk")
    etc: Path = Path("/etc/kiosk")
    data: Path = Path("/var/lib/kiosk")
    user: str = "kiosk"
    units: Path = Path("/etc/systemd/system")
    udev: Path = Path("/etc/udev/rules.d")
    sysusers: Path = Path("/etc/sysusers.d")
    tmpfiles: Path = Path("/etc/tmpfiles.d")
    pam: Path = Path("/etc/pam.d")
    #: Give files their owners (a real install as root); tests of an install into a
    #: temporary directory keep their own.
    chown: bool = True
    manifest: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    @property
    def staged(self) -> bool:
        return self.root != Path("/")

    def at(self, path: Path) -> Path:
        """``path`` of the terminal as a path on this machine."""
        return self.root / path.relative_to("/")

    @property
    def current(self) -> Path:
        return self.prefix / "current"

    def subst(self) -> dict[str, str]:
        return {"PREFIX": str(self.prefix), "ETC": str(self.etc), "DATA": str(self.data),
                "USER": self.user, "PAM_SERVICE": self.user}

    # -- writing, recorded ---------------------------------------------------------------
    def record(self, path: Path, kind: str, mode: int, owner: str = "root",
               group: str = "root") -> None:
        self.manifest = [m for m in self.manifest if m[0] != str(path)]
        self.manifest.append((str(path), kind, f"{mode:04o}", owner, group))

    def mkdir(self, path: Path, mode: int = 0o755, owner: str = "root",
              group: str = "root") -> Path:
        target = self.at(path)
        target.mkdir(parents=True, exist_ok=True)
        target.chmod(mode)
        self._own(target, owner, group)
        self.record(path, "d", mode, owner, group)
        return target

    def write(self, path: Path, text: str, mode: int = 0o644, owner: str = "root",
              group: str = "root", *, keep: bool = False) -> bool:
        """Write ``text`` atomically; ``keep``: never over an existing file (the
        terminal's configuration survives every install and upgrade). True if written."""
        target = self.at(path)
        if keep and target.exists():
            self.record(path, "f", target.stat().st_mode & 0o7777, owner, group)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        tmp.chmod(mode)
        self._own(tmp, owner, group)
        tmp.replace(target)
        self.record(path, "f", mode, owner, group)
        return True

    def copy(self, source: Path, path: Path, mode: int, owner: str = "root",
             group: str = "root") -> None:
        target = self.at(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        target.chmod(mode)
        self._own(target, owner, group)
        self.record(path, "f", mode, owner, group)

    def _own(self, target: Path, owner: str, group: str) -> None:
        if self.chown and not self.staged and os.geteuid() == 0:
            shutil.chown(target, owner, group)

    def write_manifest(self) -> Path:
        lines = ["# path\tkind\tmode\towner\tgroup  (written by scripts/install)"]
        lines += ["\t".join(m) for m in sorted(self.manifest)]
        path = self.prefix / "manifest.tsv"
        target = self.at(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return target


def render(text: str, values: dict[str, str]) -> str:
    """``@KEY@`` replaced by ``values[KEY]``; an unknown key is an error (a template
    that names a value nobody gives would install a broken file)."""
    out = text
    for key, value in values.items():
        out = out.replace(f"@{key}@", value)
    if "@" in out:
        import re
        left = sorted(set(re.findall(r"@([A-Z_]+)@", out)))
        if left:
            raise KeyError(f"template values missing: {', '.join(left)}")
    return out
