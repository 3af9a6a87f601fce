"""The diagnostic bundle carries no secrets and no full ID numbers."""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path

import yaml

from kiosk.clock import FakeClock
from kiosk.config.model import load_config
from kiosk.logging_setup import setup_logging
from kiosk.technician.bundle import (
    REMOVED,
    export_bundle,
    main,
    scrub,
    strip_url_credentials,
    usb_mounts,
)
from kiosk.technician.gate import hash_pin
from tests.kiosk.journey_factory import ID_NUMBER, NAME

TERMINAL_SECRET = "ab" * 32
OUTBOX_KEY = "c2VjcmV0LW91dGJveC1rZXktMzItYnl0ZXMtbG9uZyE="


def setup_kiosk(tmp_path: Path) -> tuple[Path, str]:
    var = tmp_path / "var"
    (var / "secrets").mkdir(parents=True)
    (var / "secrets" / "terminal.key").write_text(TERMINAL_SECRET)
    (var / "secrets" / "outbox.key").write_text(OUTBOX_KEY)
    (var / "log").mkdir()
    # A line written before redaction existed (or by a careless tool): the bundle redacts it.
    (var / "log" / "kiosk.log.1").write_text(f"old line with {ID_NUMBER}\n")
    pin_hash = hash_pin("24681357", n=2 ** 10)
    overlay = tmp_path / "local.yaml"
    overlay.write_text(yaml.safe_dump({
        "terminal": {"data_dir": str(var)},
        "backoffice": {"url": "http://127.0.0.1:9",
                       "secret_file": str(var / "secrets/terminal.key")},
        "outbox": {"path": str(var / "outbox.sqlite3"),
                   "key_file": str(var / "secrets/outbox.key")},
        "technician": {"pin_hash": pin_hash}}))
    return overlay, pin_hash


def all_bytes_of_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_bundle_has_no_secrets_and_no_full_id_numbers(tmp_path: Path) -> None:
    overlay, pin_hash = setup_kiosk(tmp_path)
    config = load_config(overlays=(overlay,))
    logger = logging.getLogger("kiosk.test.bundle")
    logger.propagate = False
    logs = setup_logging(config.terminal.data_path() / "log", logger=logger)
    try:
        logger.warning("card %s read", ID_NUMBER)
        diagnostics = {"devices": {"idcard": {"counters": {"last_error": f"x {ID_NUMBER}"}}},
                       "backoffice": {"token": "sekrit"}}
        clock = FakeClock()
        zipped = export_bundle(config, tmp_path / "usb", clock=clock, diagnostics=diagnostics,
                               ring=logs.ring)
        folder = export_bundle(config, tmp_path / "usb", clock=clock, as_zip=False)
    finally:
        logs.close()
    assert zipped.name == "kiosk-diag-XS-DEV-0001-20261122T010000Z.zip"
    contents = all_bytes_of_zip(zipped)
    names = {n.split("/", 1)[1] for n in contents}
    assert {"config.json", "diagnostics.json", "manifest.json", "logs/kiosk.log",
            "logs/kiosk.log.1", "logs/recent.json"} <= names
    folder_files = {str(p.relative_to(folder)): p.read_bytes()
                    for p in folder.rglob("*") if p.is_file()}
    assert "config.json" in folder_files
    everything = b"".join([*contents.values(), *folder_files.values()])
    for secret in (pin_hash, TERMINAL_SECRET, OUTBOX_KEY, "sekrit", "secrets/terminal.key",
                   ID_NUMBER, NAME):
        assert secret.encode() not in everything, secret
    assert (ID_NUMBER[:6] + "********").encode() in everything
    config_json = json.loads(next(v for k, v in contents.items() if k.endswith("config.json")))
    assert config_json["technician"]["pin_hash"] == REMOVED
    assert config_json["backoffice"]["secret_file"] == REMOVED
    assert config_json["outbox"]["key_file"] == REMOVED
    assert config_json["terminal"]["id"] == "XS-DEV-0001"
    manifest = json.loads(next(v for k, v in contents.items() if k.endswith("manifest.json")))
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert not list((tmp_path / "usb").glob(".*part"))


def test_scrub_and_usb_mounts(tmp_path: Path) -> None:
    assert scrub({"a": [{"api_key": 1, "n": f"id {ID_NUMBER}"}]}) == {
        "a": [{"api_key": REMOVED, "n": f"id {ID_NUMBER[:6]}********{ID_NUMBER[-4:]}"}]}
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/sda1 / ext4 rw 0 0\n"
                      "/dev/sdb1 /media/tech/KIOSK\\040USB vfat rw 0 0\n"
                      "tmpfs /run/user/0 tmpfs rw 0 0\n")
    assert usb_mounts(mounts) == [Path("/media/tech/KIOSK USB")]
    assert usb_mounts(tmp_path / "missing") == []


def test_cli_writes_to_the_given_folder(tmp_path: Path) -> None:
    overlay, _ = setup_kiosk(tmp_path)
    assert main(["--to", str(tmp_path / "out"), "--config", str(overlay)]) == 0
    (bundle,) = (tmp_path / "out").glob("kiosk-diag-*.zip")
    assert any(n.endswith("diagnostics.json") for n in all_bytes_of_zip(bundle))


def test_credentials_inside_urls_never_leave_the_kiosk(tmp_path: Path) -> None:
    overlay, _ = setup_kiosk(tmp_path)
    config = load_config(overlays=(overlay,))
    url = "https://kiosk:pa55word@bo.example.gov.cn:8443/api/v1?x=1&access_token=t0ken9"
    log_file = config.terminal.data_path() / "log" / "kiosk.log.2"
    log_file.write_text(f"GET {url} failed\n")
    diagnostics = {"backoffice": {"url": url},
                   "proxy": "socks5://u:p4ss@10.0.0.1:1080", "note": "ftp://anon@host/x"}
    folder = export_bundle(config, tmp_path / "usb", clock=FakeClock(), as_zip=False,
                           diagnostics=diagnostics)
    everything = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    for secret in (b"pa55word", b"t0ken9", b"p4ss", b"kiosk:", b"anon@"):
        assert secret not in everything, secret
    assert b"bo.example.gov.cn:8443/api/v1?x=1&access_token=" + REMOVED.encode() in everything
    assert strip_url_credentials("see http://127.0.0.1:8700/api/v1/health") == \
        "see http://127.0.0.1:8700/api/v1/health"
