"""Bulk endpoints: import jobs and the streamed export. Registered before the customers router,
so that `/v1/customers/export` and `/v1/customers/imports` are not taken for a customer key."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from customerbase.config import Settings
from customerbase.customers import export, imports
from customerbase.customers.schemas import CustomerListParams
from customerbase.kit.db import Database
from customerbase.kit.dependencies import ReadSessionDep, VaultDep, WriteSessionDep, get_database
from customerbase.kit.envelope import Envelope, OrjsonResponse, error_responses, ok
from customerbase.kit.errors import ValidationFailed
from customerbase.organizations.auth import TenantDep

router = APIRouter(prefix="/v1/customers", tags=["bulk"], responses=error_responses(401, 422))

IMPORTS_PATH = "/v1/customers/imports"
# An import file is spooled to disk as it arrives, never held in memory.
MAX_IMPORT_BYTES = 512 * 1024 * 1024

_IMPORT_TYPES: dict[str, imports.ImportFormat] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
}

DatabaseDep = Annotated[Database, Depends(get_database)]
JOB = {"model": Envelope[dict[str, Any]], "description": "The import job"}


def _import_format(content_type: str | None) -> imports.ImportFormat:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in _IMPORT_TYPES:
        raise imports.UnsupportedImportFormat(
            "Send the file as the body, with Content-Type text/csv or application/x-ndjson"
        )
    return _IMPORT_TYPES[media]


# Local-disk file operations of the spool: short, and cheaper inline than a thread hop each.
def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)


def _spool_dir(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return directory


async def _spool(request: Request, directory: Path) -> tuple[Path, int]:
    """The request body, written to a file as it arrives (an import is never held in memory)."""
    size = 0
    spool_dir = _spool_dir(directory)
    with tempfile.NamedTemporaryFile(dir=spool_dir, suffix=".import", delete=False) as handle:
        path = Path(handle.name)
        try:
            async for chunk in request.stream():
                handle.write(chunk)
                size += len(chunk)
        except BaseException:
            _discard(path)
            raise
    return path, size


@router.post(
    "/imports",
    status_code=202,
    responses={202: JOB, **error_responses(413, 415)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The file itself: CSV with a header row, or JSON lines",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
async def create_import(
    request: Request,
    tenant: TenantDep,
    session: WriteSessionDep,
    database: DatabaseDep,
    vault: VaultDep,
    dry_run: Annotated[bool, Query(description="Validate and report, write nothing")] = False,
    filename: Annotated[str | None, Query(max_length=300)] = None,
) -> OrjsonResponse:
    """Start an import of customers from a CSV or JSON-lines file; poll the job it returns."""
    file_format = _import_format(request.headers.get("content-type"))
    settings: Settings = request.app.state.settings
    path, size = await _spool(request, settings.data_dir / "imports")
    if size == 0:
        _discard(path)
        raise ValidationFailed.for_field("body", "the file is empty")
    try:
        job = await imports.create_job(
            session, tenant, file_format=file_format, dry_run=dry_run, filename=filename, size=size
        )
    except BaseException:
        _discard(path)
        raise
    response = ok(imports.job_to_dict(job), "Import started", status_code=202)
    response.headers["Location"] = f"{IMPORTS_PATH}/{job.id}"
    # A background task runs after the response is sent, so after the job's row committed.
    response.background = BackgroundTask(
        imports.start_in_background, database, vault, tenant, job.id, path
    )
    return response


@router.get("/imports/{import_id}", responses={200: JOB, **error_responses(404)})
async def get_import(import_id: str, tenant: TenantDep, session: ReadSessionDep) -> OrjsonResponse:
    """An import job: its status, progress and counts."""
    job = await imports.get_job(session, tenant, import_id)
    return ok(imports.job_to_dict(job), "Import retrieved successfully")


@router.get(
    "/imports/{import_id}/report",
    responses={
        200: {
            "description": "The bad rows: line, field, message",
            "content": {"text/csv": {}, "application/json": {}},
        },
        **error_responses(404, 409),
    },
)
async def get_import_report(
    import_id: str,
    tenant: TenantDep,
    session: ReadSessionDep,
    format: Literal["csv", "json"] = "csv",
) -> Response:
    """Download the report of a finished import: every bad row by line, field and message."""
    job = await imports.get_job(session, tenant, import_id)
    entries = imports.report_of(job)
    if format == "json":
        return ok(entries, "Import report retrieved successfully")
    return Response(
        imports.report_csv(entries),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job.id}-report.csv"'},
    )


class CustomerExportParams(CustomerListParams):
    """The list endpoint's filters, and the file format."""

    format: Literal["csv", "jsonl"] = "jsonl"


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Every matching customer, newest first, masked as the API shows it",
            "content": {"text/csv": {}, "application/x-ndjson": {}},
        }
    },
)
async def export_customers(
    params: Annotated[CustomerExportParams, Query()],
    tenant: TenantDep,
    database: DatabaseDep,
    vault: VaultDep,
) -> StreamingResponse:
    """Export the customers that match the list filters, as CSV or JSON lines (streamed)."""
    filters = export.export_filter(params)
    extension = "csv" if params.format == "csv" else "jsonl"
    return StreamingResponse(
        export.stream_customers(database, vault, tenant, filters, params.format),
        media_type=export.MEDIA_TYPES[params.format],
        headers={"Content-Disposition": f'attachment; filename="customers.{extension}"'},
    )
