"""create_app(settings): the one place the application is assembled."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from sqlalchemy import text
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from customerbase import __version__
from customerbase.accounts.endpoints import router as accounts_router
from customerbase.config import Settings
from customerbase.customer_data.endpoints import router as customer_data_router
from customerbase.customers.bulk_endpoints import IMPORTS_PATH, MAX_IMPORT_BYTES
from customerbase.customers.bulk_endpoints import router as bulk_router
from customerbase.customers.endpoints import router as customers_router
from customerbase.dialects import COMPAT_PREFIX, install_dialects
from customerbase.dialects.advancly import ONBOARDING_PATHS as ADVANCLY_ONBOARDING_PATHS
from customerbase.dialects.yativo import YATIVO
from customerbase.documents.endpoints import UPLOAD_PATHS, upload_body_limit
from customerbase.documents.endpoints import people_router as person_documents_router
from customerbase.documents.endpoints import router as documents_router
from customerbase.documents.storage import DocumentStorage
from customerbase.events.endpoints import router as events_router
from customerbase.kit.crypto import Vault, load_or_create_dev_secret
from customerbase.kit.db import Database, create_database
from customerbase.kit.edge import EdgeMiddleware
from customerbase.kit.envelope import OrjsonResponse, ok
from customerbase.kit.errors import ServiceUnavailable
from customerbase.kit.handlers import install_error_handlers
from customerbase.kit.idempotency import IdempotencyMiddleware
from customerbase.kyc.endpoints import router as kyc_router
from customerbase.kyc.page import KYC_PAGE_PATHS
from customerbase.kyc.page import router as kyc_page_router
from customerbase.onboarding.endpoints import router as onboarding_router
from customerbase.organizations.auth import declare_security, idempotency_scope
from customerbase.screening import service as screening
from customerbase.screening.continuous import ContinuousScreening
from customerbase.screening.endpoints import router as screening_router
from customerbase.webhooks.endpoints import router as webhooks_router

DESCRIPTION = """\
Customer management for fintech and banking-as-a-service platforms: onboard individual and
business customers, validate and encrypt their identity numbers, look them up, page through
them, archive, blacklist and erase them.

Authenticate with `Authorization: Bearer sk_test_...` (or the `client-id` + `api-key` headers).
Every response is `{"success", "message", "data"}`; errors carry `error.type`, `error.fields`
and `error.request_id`.

Send an `Idempotency-Key` header (up to 255 characters) with any POST, PUT, PATCH or DELETE to
retry it safely: the same key and request within 24 hours replays the first answer, with
`Idempotent-Replayed: true`.
"""


# Swagger UI and ReDoc served from this machine, not a CDN: a self-hosted service's docs must
# work without the internet. The assets ship in the fastapi-offline package.
DOCS_ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
DOCS_ASSETS_URL = "/static/docs"

# A customer is a few kilobytes of JSON; larger bodies are refused with 413 before parsing.
MAX_BODY_BYTES = 1024 * 1024
CREATE_PATH = "/v1/customers"


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
    screening.configure(threshold=settings.screening_threshold)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.database is None:
            app.state.database = create_database(
                settings.resolved_database_url,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
            )
        stop_worker = asyncio.Event()
        worker = None
        if settings.embedded_worker:
            from customerbase.webhooks.worker import run_worker

            worker = asyncio.create_task(
                run_worker(
                    app.state.database,
                    vault,
                    stop_worker,
                    allow_private=settings.webhook_allow_private,
                    lease_seconds=settings.webhook_lease_seconds,
                )
            )
        # One database per server process: a request need not wait for a new lists' index.
        screening.configure(serve_previous_while_building=True)
        continuous = None
        if settings.screening_interval > 0:
            continuous = ContinuousScreening(
                app.state.database, vault, interval=settings.screening_interval
            )
            continuous.start()
        app.state.continuous_screening = continuous
        try:
            yield
        finally:
            if worker is not None:
                stop_worker.set()
                await worker
            if continuous is not None:
                await continuous.stop()
            screening.configure(serve_previous_while_building=False)
            if owns_database:
                await app.state.database.dispose()

    app = FastAPI(
        title="customerbase",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=OrjsonResponse,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.vault = vault
    app.state.database = database
    app.state.document_storage = DocumentStorage.from_settings(settings)
    install_error_handlers(app)
    # Inside the edge (added first): its answers and replays get the request id and headers.
    app.add_middleware(
        IdempotencyMiddleware,
        resolve_scope=idempotency_scope,
        spool_dir=settings.data_dir / "imports",
        in_memory_paths=re.compile(f"{CREATE_PATH}|{UPLOAD_PATHS.pattern}"),
    )
    # Yativo's clients send `Idempotency-Key` on their writes too.
    app.add_middleware(
        IdempotencyMiddleware,
        resolve_scope=idempotency_scope,
        prefix=YATIVO.prefix,
        spool_dir=settings.data_dir / "imports",
    )
    upload_limit = upload_body_limit(settings.max_document_bytes)
    app.add_middleware(
        EdgeMiddleware,
        max_body_bytes=MAX_BODY_BYTES,
        headers_by_prefix=EDGE_HEADERS,
        # A create may carry documents inline (Advancly's customer_documents).
        body_limits={
            IMPORTS_PATH: MAX_IMPORT_BYTES,
            CREATE_PATH: upload_limit + MAX_BODY_BYTES,
            **dict.fromkeys(ADVANCLY_ONBOARDING_PATHS, upload_limit + MAX_BODY_BYTES),
        },
        body_limit_patterns=[
            (UPLOAD_PATHS, upload_limit),
            # The hosted KYC page posts an ID document and a selfie, as multipart.
            (KYC_PAGE_PATHS, 2 * settings.max_document_bytes + MAX_BODY_BYTES),
        ],
    )
    app.include_router(bulk_router)  # before /v1/customers/{key}
    app.include_router(onboarding_router)  # before /v1/customers/{customer_id}
    app.include_router(customers_router)
    app.include_router(screening_router)
    app.include_router(events_router)
    app.include_router(accounts_router)
    app.include_router(customer_data_router)
    app.include_router(webhooks_router)
    install_dialects(app)
    app.include_router(documents_router)
    app.include_router(person_documents_router)
    app.include_router(kyc_router)
    app.include_router(kyc_page_router)
    _mount_docs(app)
    _document_security(app)

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


def _document_security(app: FastAPI) -> None:
    """The OpenAPI document declares how to authenticate when it is built (once), rather than
    through dependencies that would run on every request only to document themselves."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            declare_security(build(), app.routes)
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# Personal data must not be kept by a browser or a proxy, nor any response be sniffed into
# another media type.
EDGE_HEADERS = (
    ("", {"X-Content-Type-Options": "nosniff"}),
    ("/v1", {"Cache-Control": "no-store"}),
    (COMPAT_PREFIX, {"Cache-Control": "no-store"}),
)


def docs_page_headers(html: bytes) -> dict[str, str]:
    """The docs pages run only the scripts served from here and the page's own inline scripts
    (allowed by their hash), and are never framed. Swagger UI and ReDoc set inline styles and
    load images as data: URLs; ReDoc builds its search worker from a blob: URL."""
    inline = re.findall(rb"<script>(.*?)</script>", html, flags=re.DOTALL)
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in inline
    )
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' {hashes}".rstrip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


def _mount_docs(app: FastAPI) -> None:
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    # The pages do not change while the app runs: built once, with the policy their inline
    # scripts need.
    swagger_html = get_swagger_ui_html(
        openapi_url=openapi_url,
        title="customerbase API",
        swagger_js_url=f"{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS_URL}/favicon.png",
    ).body
    redoc_html = get_redoc_html(
        openapi_url=openapi_url,
        title="customerbase API",
        redoc_js_url=f"{DOCS_ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{DOCS_ASSETS_URL}/favicon.png",
        with_google_fonts=False,
    ).body
    swagger_headers = docs_page_headers(bytes(swagger_html))
    redoc_headers = docs_page_headers(bytes(redoc_html))

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger_html, headers=swagger_headers)

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return HTMLResponse(redoc_html, headers=redoc_headers)


def app_factory() -> FastAPI:
    """For `uvicorn --factory customerbase.app:app_factory`."""
    return create_app()
