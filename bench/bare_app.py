"""The ceiling the verification benchmark compares against: a bare FastAPI `def` route, no database, no middleware.

Served through api.cli.run_uvicorn, the same uvicorn set-up as `registry serve` (worker processes, log level,
access log), so "verify / bare" measures what our verify path costs on top of the stack itself.

    python -m bench.bare_app --port 8130 --workers 2
"""

from __future__ import annotations

import argparse

from fastapi import FastAPI

BARE_PATH = "/bare"


def create_app() -> FastAPI:
    """One synchronous route returning a small JSON object, like /healthz minus the database."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get(BARE_PATH)
    def bare() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    """Serve the bare app like `registry serve --host H --port P --workers N`."""
    from api.cli import run_uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    run_uvicorn("bench.bare_app:create_app", host=args.host, port=args.port, workers=args.workers)


if __name__ == "__main__":
    main()
