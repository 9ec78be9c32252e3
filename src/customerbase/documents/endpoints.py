"""HTTP endpoints of a customer's documents. Each parses, authenticates and calls one service."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import StreamingResponse

from customerbase.documents import service
from customerbase.documents.schemas import (
    DocumentOut,
    DocumentStatus,
    DocumentType,
    DocumentUpload,
    ReviewRequest,
)
from customerbase.documents.storage import DocumentStorage
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.kit.dependencies import ReadSessionDep, VaultDep, get_database
from customerbase.kit.envelope import Envelope, OrjsonResponse, error_responses, ok
from customerbase.kit.errors import InvalidJSON, UnsupportedMediaType, ValidationFailed
from customerbase.kit.routing import is_json_media_type
from customerbase.models import Document
from customerbase.organizations.auth import TenantDep
from customerbase.organizations.service import Tenant

PATH = "/v1/customers/{customer_id}/documents"


def upload_body_limit(max_document_bytes: int) -> int:
    """The body limit of an upload: the largest document, base64-encoded, and room for the
    rest of the request (multipart headers, JSON names)."""
    return 4 * math.ceil(max_document_bytes / 3) + 256 * 1024


# The paths that take a document in the body (their body limit follows the document limit).
UPLOAD_PATHS = re.compile(r"/v1/customers/[^/]+(/people/[^/]+)?/documents")


async def get_document_storage(request: Request) -> DocumentStorage:
    storage: DocumentStorage = request.app.state.document_storage
    return storage


DocumentStorageDep = Annotated[DocumentStorage, Depends(get_document_storage)]
DatabaseDep = Annotated[Database, Depends(get_database)]

router = APIRouter(prefix=PATH, tags=["documents"], responses=error_responses(401, 404, 422))

ONE: dict[int | str, dict[str, Any]] = {
    200: {"model": Envelope[DocumentOut], "description": "The document"}
}
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "document_type"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "document_type": {
                            "type": "string",
                            "enum": [t.value for t in DocumentType],
                        },
                    },
                }
            },
            "application/json": {"schema": DocumentUpload.model_json_schema()},
        },
    }
}
_FORM_FIELDS = {"file", "document_type", "document_type_code"}


async def _read_form(request: Request, storage: DocumentStorage) -> service.PreparedDocument:
    parser = MultiPartParser(
        request.headers, request.stream(), max_files=1, max_fields=3, max_part_size=4096
    )
    # The file stays in memory (the body limit bounds it), never in a plaintext temporary file.
    parser.spool_max_size = upload_body_limit(storage.max_document_bytes)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        message = f"the multipart body is malformed: {exc}"
        raise ValidationFailed.for_field("file", message) from None
    try:
        for name in form:
            if name not in _FORM_FIELDS:
                raise ValidationFailed.for_field(name[:100], "is not allowed here")
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed.for_field("file", "is required (a file part)")
        kind = form.get("document_type") or form.get("document_type_code")
        type_field = "document_type_code" if "document_type_code" in form else "document_type"
        if isinstance(kind, UploadFile):
            raise ValidationFailed.for_field(type_field, "must be a text field")
        content = await upload.read()
        return service.prepare_document(
            storage,
            document_type=kind,
            filename=upload.filename,
            content=content,
            type_field=type_field,
            content_field="file",
        )
    finally:
        await form.close()


async def _read_json(request: Request, storage: DocumentStorage) -> service.PreparedDocument:
    try:
        data = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise InvalidJSON() from None
    try:
        upload = DocumentUpload.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from None
    return service.prepare_upload(storage, upload)


async def read_upload(request: Request, storage: DocumentStorage) -> service.PreparedDocument:
    """The document of an upload request, multipart or JSON, checked (nothing stored yet)."""
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        return await _read_form(request, storage)
    if is_json_media_type(content_type):
        return await _read_json(request, storage)
    raise UnsupportedMediaType(
        "Send the document as multipart/form-data (fields file and document_type) or as "
        "application/json (document_type and content_base64)"
    )


@router.post(
    "",
    status_code=201,
    responses={
        201: {"model": Envelope[DocumentOut], "description": "The stored document"},
        **error_responses(409, 413, 415),
    },
    openapi_extra=UPLOAD_BODY,
)
async def upload_document(
    customer_id: str,
    request: Request,
    tenant: TenantDep,
    database: DatabaseDep,
    vault: VaultDep,
    storage: DocumentStorageDep,
) -> OrjsonResponse:
    """Upload a document (PDF, JPEG or PNG): multipart `file` + `document_type`, or JSON."""
    return await _upload(customer_id, None, request, tenant, database, vault, storage)


async def _upload(
    customer_id: str,
    person_id: str | None,
    request: Request,
    tenant: Tenant,
    database: Database,
    vault: Vault,
    storage: DocumentStorage,
) -> OrjsonResponse:
    prepared = await read_upload(request, storage)
    async with database.write_session() as session:
        # The file first, before the transaction locks anything; the row once it is written.
        staged = await service.stage(session, vault, storage, tenant, prepared)
        customer = await service.customer_for_change(session, tenant, customer_id)
        person = await service.person_of(session, customer, person_id) if person_id else None
        document = await service.add_staged(
            session, vault, tenant, customer, staged, person_id=person
        )
        data = service.document_to_dict(document, vault)
    return ok(data, "Document uploaded successfully", status_code=201)


@router.get("", responses={200: {"description": "The customer's documents, oldest first"}})
async def list_documents(
    customer_id: str,
    tenant: TenantDep,
    session: ReadSessionDep,
    vault: VaultDep,
    document_type: Annotated[DocumentType | None, Query()] = None,
    status: Annotated[DocumentStatus | None, Query()] = None,
    person_id: Annotated[uuid.UUID | None, Query()] = None,
) -> OrjsonResponse:
    """List a customer's documents (metadata only)."""
    documents = await service.list_documents(
        session,
        tenant,
        customer_id,
        person_id=person_id,
        document_type=document_type,
        status=status,
    )
    data = [service.document_to_dict(document, vault) for document in documents]
    return ok(data, "Documents retrieved successfully")


@router.get("/{document_id}", responses=ONE)
async def get_document(
    customer_id: str,
    document_id: str,
    tenant: TenantDep,
    session: ReadSessionDep,
    vault: VaultDep,
) -> OrjsonResponse:
    """Get a document's metadata."""
    document = await service.get_document(session, tenant, customer_id, document_id)
    return ok(service.document_to_dict(document, vault), "Document retrieved successfully")


async def _prefetched(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk


@router.get(
    "/{document_id}/download",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The file, decrypted as it is streamed",
            "content": {media: {} for media in service.ALLOWED_CONTENT_TYPES},
        }
    },
)
async def download_document(
    customer_id: str,
    document_id: str,
    tenant: TenantDep,
    session: ReadSessionDep,
    vault: VaultDep,
    storage: DocumentStorageDep,
) -> StreamingResponse:
    """Download the file, streamed (`Cache-Control: no-store`)."""
    document = await service.get_document(session, tenant, customer_id, document_id)
    return await _download(document, vault, storage)


async def _download(
    document: Document, vault: Vault, storage: DocumentStorage
) -> StreamingResponse:
    chunks = service.open_document(vault, storage, document)
    # The first chunk before the response starts: a missing or unreadable object is then an
    # error response, not a cut-off download.
    first = await anext(chunks)
    extension = service.ALLOWED_CONTENT_TYPES[document.content_type]
    return StreamingResponse(
        _prefetched(first, chunks),
        media_type=document.content_type,
        headers={
            "Content-Length": str(document.size_bytes),
            "Content-Disposition": f'attachment; filename="{document.id}.{extension}"',
            # Cache-Control: no-store is set on every /v1 response by the edge.
        },
    )


@router.delete("/{document_id}", responses={**ONE, **error_responses(409)})
async def delete_document(
    customer_id: str,
    document_id: str,
    tenant: TenantDep,
    database: DatabaseDep,
    vault: VaultDep,
    storage: DocumentStorageDep,
) -> OrjsonResponse:
    """Delete a document: its row now, its file once the deletion has committed."""
    async with database.write_session() as session:
        document = await service.delete_document(session, storage, tenant, customer_id, document_id)
        data = service.document_to_dict(document, vault)
    return ok(data, "Document deleted successfully")


@router.post("/{document_id}/review", responses={**ONE, **error_responses(409)})
async def review_document(
    customer_id: str,
    document_id: str,
    body: ReviewRequest,
    tenant: TenantDep,
    database: DatabaseDep,
    vault: VaultDep,
) -> OrjsonResponse:
    """Record a review: `verified`, or `rejected` with `reasons`."""
    async with database.write_session() as session:
        document = await service.set_review(
            session, tenant, customer_id, document_id, status=body.status, reasons=body.reasons
        )
        data = service.document_to_dict(document, vault)
    return ok(data, "Document reviewed successfully")


# --- The documents of a business's people (onboarding's /people) ---------------------------

PEOPLE_PATH = "/v1/customers/{customer_id}/people/{person_id}/documents"
people_router = APIRouter(
    prefix=PEOPLE_PATH, tags=["documents"], responses=error_responses(401, 404, 422)
)


@people_router.post(
    "",
    status_code=201,
    responses={
        201: {"model": Envelope[DocumentOut], "description": "The stored document"},
        **error_responses(409, 413, 415),
    },
    openapi_extra=UPLOAD_BODY,
)
async def upload_person_document(
    customer_id: str,
    person_id: str,
    request: Request,
    tenant: TenantDep,
    database: DatabaseDep,
    vault: VaultDep,
    storage: DocumentStorageDep,
) -> OrjsonResponse:
    """Upload a document of one of a business's people (a director's passport ...)."""
    return await _upload(customer_id, person_id, request, tenant, database, vault, storage)


@people_router.get("", responses={200: {"description": "The person's documents, oldest first"}})
async def list_person_documents(
    customer_id: str,
    person_id: str,
    tenant: TenantDep,
    session: ReadSessionDep,
    vault: VaultDep,
    document_type: Annotated[DocumentType | None, Query()] = None,
    status: Annotated[DocumentStatus | None, Query()] = None,
) -> OrjsonResponse:
    """List a person's documents (metadata only)."""
    documents = await service.list_documents(
        session,
        tenant,
        customer_id,
        person_id=person_id,
        document_type=document_type,
        status=status,
    )
    data = [service.document_to_dict(document, vault) for document in documents]
    return ok(data, "Documents retrieved successfully")


@people_router.get("/{document_id}", responses=ONE)
async def get_person_document(
    customer_id: str,
    person_id: str,
    document_id: str,
    tenant: TenantDep,
    session: ReadSessionDep,
    vault: VaultDep,
) -> OrjsonResponse:
    """Get a person's document's metadata."""
    document = await service.get_document(
        session, tenant, customer_id, document_id, person_id=person_id
    )
    return ok(service.document_to_dict(document, vault), "Document retrieved successfully")


@people_router.get(
    "/{document_id}/download",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The file, decrypted as it is streamed",
            "content": {media: {} for media in service.ALLOWED_CONTENT_TYPES},
        }
    },
)
async def download_person_document(
    customer_id: str,
    person_id: str,
    document_id: str,
    tenant: TenantDep,
    session: ReadSessionDep,
    vault: VaultDep,
    storage: DocumentStorageDep,
) -> StreamingResponse:
    """Download a person's document, streamed (`Cache-Control: no-store`)."""
    document = await service.get_document(
        session, tenant, customer_id, document_id, person_id=person_id
    )
    return await _download(document, vault, storage)


@people_router.delete("/{document_id}", responses={**ONE, **error_responses(409)})
async def delete_person_document(
    customer_id: str,
    person_id: str,
    document_id: str,
    tenant: TenantDep,
    database: DatabaseDep,
    vault: VaultDep,
    storage: DocumentStorageDep,
) -> OrjsonResponse:
    """Delete a person's document: its row now, its file once the deletion has committed."""
    async with database.write_session() as session:
        document = await service.delete_document(
            session, storage, tenant, customer_id, document_id, person_id=person_id
        )
        data = service.document_to_dict(document, vault)
    return ok(data, "Document deleted successfully")
