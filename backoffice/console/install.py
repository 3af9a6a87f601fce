"""Adds the operations console and ``/metrics`` to an app (``create_app`` calls it)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from backoffice import metrics
from backoffice.console import pages
from backoffice.console.web import HERE, Texts, templates
from backoffice.settings import Settings


def install(app: FastAPI, settings: Settings) -> None:
    app.state.console_texts = Texts()
    app.state.console_templates = templates()
    requests = metrics.RequestMetrics()
    app.state.fleet_collector = metrics.FleetCollector(app.state.sessions, settings)
    requests.registry.register(app.state.fleet_collector)
    app.state.metrics_registry = requests.registry
    # Outermost of the app's own middleware: the latency includes the body deadline's.
    app.add_middleware(metrics.MetricsMiddleware, metrics=requests)
    app.include_router(pages.router)
    app.include_router(metrics.router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
