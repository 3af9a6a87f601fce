"""The operations console: server-rendered pages for technicians (docs/operations-console.md)."""
