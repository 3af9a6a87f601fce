"""Shared fixtures. Each subtree (tests/kiosk, tests/devices, ...) has its own conftest."""
