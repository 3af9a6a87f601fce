"""HTTP routes, one module per resource of backoffice/API.md."""
