"""Hot public read routes: answered without FastAPI's per-request machinery when there is nothing for it to do.

For every request FastAPI's route handler validates each parameter, solves the dependency graph, opens two exit
stacks and renders the answer; for GET /api/v1/verify/{token} that was about a fifth of a verification's CPU (README,
"Verification under load"). A HotRoute is an ordinary APIRoute — the same OpenAPI operation, the same
endpoint for everything out of the ordinary — whose plain requests (GET without a query string: the only input is
a `str` path parameter, which has nothing to validate) go straight to `answer(app, scope)`, which reads the app's
state as the route's dependencies would. A query string, another method, or a test overriding one of the
dependencies the answer stands in for takes FastAPI's path.

`hoist` puts such routes on the app itself, ahead of every included router: FastAPI matches an included router's
routes through per-inclusion route contexts, twice per request, which cost a hot route more than its own regex.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

Answer = Callable[[FastAPI, Scope], Awaitable[Response]]


class HotRoute(APIRoute):
    """An APIRoute whose plain GETs are answered by `answer` (set by hoist) instead of FastAPI's handler."""

    answer: Answer
    # Values of the path parameter that name a literal sibling route (GET /api/v1/verify/revocations): the hoisted
    # route must not take them, since it is matched before the router that holds them.
    reserved: frozenset[str] = frozenset()
    # The dependencies `answer` stands in for: when a test overrides one of them, FastAPI's path honours that.
    replaces: tuple[Callable[..., Any], ...] = ()

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE and self.reserved:
            values = child_scope.get("path_params", {}).values()
            if any(value in self.reserved for value in values):
                return Match.NONE, {}
        return match, child_scope

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["app"]
        overrides = app.dependency_overrides
        plain = scope["method"] == "GET" and not scope.get("query_string")
        if plain and not (overrides and any(dependency in overrides for dependency in self.replaces)):
            response = await self.answer(app, scope)
            await response(scope, receive, send)
            return
        await super().handle(scope, receive, send)


def hoist(
    app: FastAPI,
    path: str,
    endpoint: Callable[..., Any],
    answer: Answer,
    *,
    replaces: Iterable[Callable[..., Any]],
    reserved: Iterable[str] = (),
    **route: Any,
) -> HotRoute:
    """Add a GET route to the app, first in matching order, answered by `answer` when plain (see the module)."""
    app.router.add_api_route(path, endpoint, methods=["GET"], route_class_override=HotRoute, **route)
    added = app.router.routes.pop()
    assert isinstance(added, HotRoute)
    added.answer, added.reserved, added.replaces = answer, frozenset(reserved), tuple(replaces)
    app.router.routes.insert(0, added)
    return added
