"""The peer of the back office's intake in scripts/bench backoffice: a bare FastAPI
endpoint that takes a case's JSON and inserts it in SQLite (WAL, synchronous=FULL),
one transaction per request, under the same uvicorn. No signature, no validation,
no idempotency, no case number: what any intake costs at the least.

    PEER_DB=/tmp/peer.sqlite3 python -m uvicorn scripts.benchmarks._peer_intake:app
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from typing import Any

from fastapi import FastAPI

app = FastAPI()
_lock = threading.Lock()
_conn = sqlite3.connect(os.environ.get("PEER_DB", "peer.sqlite3"), isolation_level=None,
                        check_same_thread=False)
_conn.execute("PRAGMA journal_mode=WAL")
_conn.execute("PRAGMA synchronous=FULL")
_conn.execute("CREATE TABLE IF NOT EXISTS cases (id INTEGER PRIMARY KEY, ref TEXT, body TEXT)")


@app.post("/intake", status_code=201)
def intake(case: dict[str, Any]) -> dict[str, Any]:
    with _lock:
        _conn.execute("BEGIN IMMEDIATE")
        row = _conn.execute("INSERT INTO cases (ref, body) VALUES (?, ?)",
                            (str(case.get("kiosk_ref")), json.dumps(case, ensure_ascii=False)))
        _conn.execute("COMMIT")
    return {"id": row.lastrowid}
