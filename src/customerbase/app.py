"""create_app(settings): the one place the application is assembled."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from customerbase import __version__
from customerbase.config import Settings
from customerbase.customers.endpoints import router as customers_router
from customerbase.kit.crypto import Vault, load_or_create_dev_secret
from customerbase.kit.db import Database, create_database
from customerbase.kit.edge import EdgeMiddleware
from customerbase.kit.envelope import OrjsonResponse, ok
from customerbase.kit.errors import ServiceUnavailable
from customerbase.kit.handlers import install_error_handlers

DESCRIPTION = """\
Customer management for fintech and banking-as-a-service platforms: onboard individual and
business customers, validate and encrypt their identity numbers, look them up, page through
them, archive, blacklist and erase them.

Authenticate with `Authorization: Bearer sk_test_...` (or the `client-id` + `api-key` headers).
Every response is `{"success", "message", "data"}`; errors carry `error.type`, `error.fields`
and `error.request_id`.
"""


# A customer is a few kilobytes of JSON; larger bodies are refused with 413 before parsing.
MAX_BODY_BYTES = 1024 * 1024


def load_vault(settings: Settings) -> Vault:
    """The field-encryption vault; in development the secret is generated once into data/."""
    settings.check_production()
    if settings.secret_key is not None:
        return Vault(settings.secret_key.get_secret_value())
    return Vault(load_or_create_dev_secret(settings.data_dir))


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
) -> FastAPI:
    settings = settings or Settings()
    vault = load_vault(settings)
    owns_database = database is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.database is None:
            app.state.database = create_database(
                settings.resolved_database_url,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
            )
        try:
            yield
        finally:
            if owns_database:
                await app.state.database.dispose()

    app = FastAPI(
        title="customerbase",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=OrjsonResponse,
    )
    app.state.settings = settings
    app.state.vault = vault
    app.state.database = database
    install_error_handlers(app)
    app.add_middleware(EdgeMiddleware, max_body_bytes=MAX_BODY_BYTES)
    app.include_router(customers_router)

    @app.get("/health", tags=["service"])
    async def health() -> OrjsonResponse:
        """Liveness and database reachability."""
        db: Database = app.state.database
        try:
            async with db.read_session() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:
            logging.getLogger("customerbase").warning(
                "health check: database unreachable: %s", type(exc).__name__
            )
            raise ServiceUnavailable("The database is unreachable") from None
        return ok({"status": "ok", "database": db.dialect, "version": __version__}, "healthy")

    return app


def app_factory() -> FastAPI:
    """For `uvicorn --factory customerbase.app:app_factory`."""
    return create_app()
