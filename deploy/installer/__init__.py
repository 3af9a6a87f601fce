"""scripts/install: a bare Debian 12 machine into a kiosk terminal, and upgrades with
rollback. Standard library only: it runs before any venv exists. docs/install.md."""
