"""The kiosk core. Never imports Kivy; everything is built in :mod:`kiosk.wiring.build`."""
