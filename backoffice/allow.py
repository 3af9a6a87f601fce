"""The ``Allow`` header of a 405: every method the path takes (RFC 9110 §10.2.1).

Starlette answers 405 from the first route whose path matches, so a path
served by several routes (``HEAD`` and ``PUT /api/v1/materials/{sha256}``,
``GET`` and ``POST /console/login``) would name only one of its methods.
This asks every route of the app, one method at a time.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Match

#: The methods a route of this app may declare.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(routes: list[Any], scope: dict[str, Any]) -> list[str]:
    """The methods for which some route matches ``scope``'s path fully."""
    found = []
    for method in METHODS:
        probe = {**scope, "method": method}
        if any(route.matches(probe)[0] is Match.FULL for route in routes):
            found.append(method)
    return found
