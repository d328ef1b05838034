"""Composition root: the only FastAPI importer; app factory, auth, error mapping, routers and the CLI."""
