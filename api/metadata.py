"""Import every table module so the metadata is complete (Alembic env, schema checks); the composition root's job."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

MODEL_MODULES = (
    "registry.catalogue.models",
    "registry.bodies.models",
    "registry.accounts.models",
    "registry.audit.models",
    "registry.filings.models",
    "registry.people.models",
    "registry.awards.models",
    "assessment.assessors.models",
    "assessment.batches.models",
    "assessment.recognition.models",
    "certificates.models",
    "certificates.open_models",
    "registry.jobs.models",
    "regulator.models",
)


def load_all_models() -> MetaData:
    """Import every models module and return the shared metadata."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    from registry.db import metadata

    return metadata
