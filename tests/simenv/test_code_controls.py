"""The simulated terminal's 亮码 controls: ``simenv ctl present-code|issue-code|scan-code|
scanner-fault`` become control requests, and the control socket's dispatch carries them
out without repeating a presented code."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from kiosk.errors import SimulationError
from simenv.cli import _ctl_request, dispatch


class FakeEnv:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def present_code(self, profile: str, *, ttl_s: int, photo: bool) -> str:
        self.calls.append(("present", profile, ttl_s, photo))
        return "ZJID1.secret"

    def issue_code(self, profile: str, *, ttl_s: int, photo: bool) -> str:
        self.calls.append(("issue", profile, ttl_s, photo))
        return "ZJID1.issued"

    def scan_code(self, text: str) -> None:
        self.calls.append(("scan", text))

    def scanner_fault(self, name: str) -> None:
        self.calls.append(("fault", name))


def request(*words: str, no_photo: bool = False) -> dict[str, Any]:
    return _ctl_request(argparse.Namespace(command=list(words), no_photo=no_photo))


def test_commands_become_requests() -> None:
    assert request("present-code") == {"op": "present_code", "profile": "resident",
                                       "photo": True}
    assert request("issue-code", "elderly", no_photo=True) == {
        "op": "issue_code", "profile": "elderly", "photo": False}
    assert request("scan-code", "6901234567892") == {"op": "scan_code",
                                                     "text": "6901234567892"}
    assert request("scanner-fault", "partial") == {"op": "scanner_fault", "name": "partial"}
    with pytest.raises(SimulationError, match="TEXT"):
        request("scan-code")


def test_dispatch_carries_them_out_and_keeps_a_presented_code_to_itself() -> None:
    env: Any = FakeEnv()
    answer = dispatch(env, {"op": "present_code", "profile": "elderly"})
    assert answer == {"ok": True, "result": {"presented": True, "ttl_s": 90}}
    assert "secret" not in str(answer)
    assert dispatch(env, {"op": "issue_code"})["result"] == "ZJID1.issued"
    dispatch(env, {"op": "scan_code", "text": "x"})
    dispatch(env, {"op": "scanner_fault", "name": "garbage"})
    assert env.calls == [("present", "elderly", 90, True), ("issue", "resident", 90, True),
                         ("scan", "x"), ("fault", "garbage")]
