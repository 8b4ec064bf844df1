"""``create_app(settings)``: the FastAPI application, its engine and its error handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from podium import __version__
from podium.api.errors import install_error_handlers
from podium.api.main import api_router
from podium.api.ratelimit import RateLimits
from podium.api.upload_guard import CappedBodies
from podium.db.engine import create_db_engine
from podium.db.migrate import upgrade
from podium.settings import Settings, get_settings
from podium.store import Store
from podium.web import install as install_pages

API_PREFIX = "/api/v1"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    if settings.migrate_on_start:
        await run_in_threadpool(upgrade, settings.database_url)
    # an API process that died mid-upload left its partial file behind
    store = Store.from_settings(settings)
    await run_in_threadpool(store.remove_stale_uploads, settings.stale_upload_seconds)
    yield
    app.state.engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API for ``settings`` (default: from the environment).

    Migrations run when the app starts (``settings.migrate_on_start``), not here.
    """
    settings = settings or get_settings()
    app = FastAPI(
        title="Podium",
        version=__version__,
        description="Machine-learning challenges with containerised, sandboxed submissions.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = create_db_engine(settings.database_url)
    app.state.rate_limits = RateLimits.from_settings(settings)
    # bodies are counted while they arrive; upload routes raise their own cap (upload_guard)
    app.add_middleware(CappedBodies, max_request_kb=settings.max_request_kb)
    install_error_handlers(app)
    app.include_router(api_router, prefix=API_PREFIX)
    install_pages(app)  # the web pages and /static (podium.web)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
