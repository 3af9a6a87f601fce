"""The simulators' shared control socket: JSON lines in, JSON lines out, errors answered."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

from devices.simcontrol import ControlServer, Request, dispatch, request_json, socket_answers


def test_operations_answer_and_bad_lines_keep_the_connection(tmp_path: Path) -> None:
    seen: list[Request] = []

    def echo(request: Request) -> dict[str, object]:
        seen.append(request)
        return {"ok": True, "said": request.get("text")}

    table = {"echo": echo}
    server = ControlServer(tmp_path / "ctl.sock", lambda request: dispatch(table, request))
    try:
        assert stat.S_IMODE(server.path.stat().st_mode) == 0o600
        assert request_json(server.path, {"op": "echo", "text": "身份证"}) == {
            "ok": True, "said": "身份证"}
        assert socket_answers(server.path, {"op": "echo"})
        unknown = request_json(server.path, {"op": "explode"})
        assert unknown == {"ok": False, "error": "ValueError: unknown op 'explode'"}
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5.0)
            s.connect(str(server.path))
            stream = s.makefile("rwb")
            for line in (b"not json\n", b"[1, 2]\n", b'{"op": "echo", "text": "ok"}\n'):
                stream.write(line)
                stream.flush()
            answers = [json.loads(stream.readline()) for _ in range(3)]
        assert [a["ok"] for a in answers] == [False, False, True]
        assert answers[1]["error"] == "ValueError: a request is a JSON object"
    finally:
        server.close()
    assert not server.path.exists()
    assert not socket_answers(server.path, {"op": "echo"})
    assert [r.get("text") for r in seen] == ["身份证", None, "ok"]
