"""Technician mode: the hidden entry (gate), what the screens show and do (console),
self-tests, the shell diagnostics (diagnose) and the diagnostic bundle.
"""
