"""Running the back office: as a process (``serve``) or in a thread (tests, benchmarks).

``serve(settings, host, port)`` blocks until SIGTERM/SIGINT (uvicorn shuts down
gracefully). ``BackgroundServer`` runs a real uvicorn server on a loopback
socket in a thread, for in-process use::

    with BackgroundServer(settings) as server:   # port 0: a free port
        requests.get(server.url + "/api/v1/health")

Logging: uvicorn's access log prints the request line and status only, never
bodies; every back-office logger also passes through ``RedactingFilter`` so
that an ID number that reaches a message anyway is masked.
"""

from __future__ import annotations

import logging
import logging.config
import os
import socket
import threading
from types import TracebackType
from typing import Any

import uvicorn
from fastapi import FastAPI

from backoffice import metrics
from backoffice.app import create_app
from backoffice.settings import Settings
from backoffice.timeouts import HeaderTimeoutHttpToolsProtocol, protocol_with_header_timeout
from kiosk.privacy import RedactingFilter

START_TIMEOUT_S = 30.0


def log_config() -> dict[str, Any]:
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactingFilter}},
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                                "filters": ["redact"], "stream": "ext://sys.stderr"}},
        "loggers": {name: {"handlers": ["stderr"], "level": "INFO", "propagate": False}
                    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "backoffice")},
    }
    return config


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8700) -> None:
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_config=log_config(), proxy_headers=False,
                server_header=False, http=protocol_with_header_timeout(settings.header_timeout_s))


def app_from_env() -> FastAPI:
    """App factory for uvicorn worker processes: settings from the environment."""
    return create_app(Settings.from_env())


def serve_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """Several worker processes on one socket (uvicorn's supervisor), one database.

    Workers are new interpreters, so the settings travel as environment
    variables; a test clock cannot (workers always use the system clock).
    """
    os.environ.update({"DATABASE_URL": settings.database_url,
                       "BACKOFFICE_DATA_DIR": str(settings.data_dir),
                       "BACKOFFICE_CATALOG_DIR": str(settings.catalog_dir),
                       "BACKOFFICE_SITES_DIR": str(settings.sites_dir),
                       "BACKOFFICE_FOLLOW_SEED": "1" if settings.follow_seed else "",
                       "BACKOFFICE_DOCS": "1" if settings.docs else "",
                       "BACKOFFICE_MASTER_KEY_FILE": str(settings.master_key_path),
                       "BACKOFFICE_BLOB_DIR": str(settings.blob_dir),
                       **settings.console_env()})
    metrics.prepare_multiprocess(settings)
    # Created once here, so that the workers start on a finished schema.
    create_app(settings).state.engine.dispose()
    uvicorn.run("backoffice.server:app_from_env", factory=True, workers=workers, host=host,
                port=port, log_config=log_config(), proxy_headers=False, server_header=False,
                # By name: the workers import it (their header bound is the default).
                http=HeaderTimeoutHttpToolsProtocol)


class BackgroundServer:
    """A real uvicorn server on ``host`` in a daemon thread."""

    def __init__(self, settings: Settings, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = create_app(settings)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this; without it a keep-alive client waits
        # ~40 ms per request (Nagle against delayed ACK), measured here.
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.bind((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        config = uvicorn.Config(self.app, log_config=None, access_log=False,
                                server_header=False, lifespan="on",
                                http=protocol_with_header_timeout(settings.header_timeout_s))
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._sock]},
                                        name="backoffice", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> BackgroundServer:
        self._thread.start()
        started = threading.Event()
        # uvicorn sets .started once it listens; poll it with a bounded wait.
        for _ in range(int(START_TIMEOUT_S / 0.02)):
            if self._server.started or not self._thread.is_alive():
                started.set()
                break
            started.wait(0.02)
        if not self._server.started:
            self.stop()
            raise RuntimeError("back office did not start")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=START_TIMEOUT_S)
        self._sock.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def configure_logging() -> None:
    logging.config.dictConfig(log_config())

