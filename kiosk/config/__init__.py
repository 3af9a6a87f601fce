"""The kiosk's configuration: typed, frozen models (model) and strict YAML loading (loader)."""
