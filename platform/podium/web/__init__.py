"""Server-rendered pages (Jinja2, autoescaped) for participants, judges and organisers.

``install(app)`` adds the pages router and serves ``/static`` from this package; nothing is
loaded from a CDN.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Add the pages and their static files to ``app``."""
    # imported here: importing podium.web (from podium.app) stays light
    from podium.web.routes import router

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
