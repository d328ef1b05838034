"""The Jinja2 templates of the HTML pages (home, verification, look-up)."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# The templates ship with the code and change with it (a restart): Jinja's default re-stat of every template file
# on every render (three per verification page) is turned off.
TEMPLATES.env.auto_reload = False
