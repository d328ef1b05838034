"""`registry demo`: realistic demo data across every capability, idempotent; the composition root's job."""

from __future__ import annotations

from sqlmodel import Session

from registry.catalogue.service import search_occupations
from registry.settings import Settings


def load_demo(session: Session, settings: Settings) -> list[str]:
    """Load the demo data into session and return lines telling the user where to look."""
    _, occupations = search_occupations(session, limit=1)
    base = settings.public_base
    return [
        f"demo data ready: 8 grades, {occupations} occupations, Guangdong's 21 cities, equivalences (比照)",
        f"  try: {base}/api/v1/occupations?q=焊",
        f"  try: {base}/api/v1/equivalences?education=bachelor",
        f"  try: {base}/api/v1/equivalences?grade=senior&as_of=2020-01-01",
    ]
