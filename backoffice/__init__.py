"""Reference back office (一窗受理): the server the kiosk submits cases to.

Contract: backoffice/API.md. Entry points: ``backoffice.app.create_app(settings)``,
``backoffice.server.serve`` / ``BackgroundServer``, ``python -m backoffice.cli``
(``scripts/backoffice``). Modules: settings, db, models, schemas, auth, blobs,
catalog, cases, workflow, staffops, ratelimit, routes/, cli, server, testing.
"""
