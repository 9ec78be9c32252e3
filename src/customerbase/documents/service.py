"""Document rules. Services never commit; the request's write session commits once.

A document is written file first, row second, in one request: the sealed file goes to the
object store, then the row (with the wrapped data key) and its event join the session's
transaction. If that transaction rolls back or fails to commit, the file is removed again
(`kit.db.after_rollback`), so a failed upload leaves nothing behind. Deleting a document (or
erasing its customer) deletes the row in the transaction and the object once it has
committed (`kit.db.after_commit`); with the row goes the only copy of the wrapped key, so the
object is unreadable from the commit on even if its removal were to fail.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

import filetype
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.documents import sealing
from customerbase.documents.schemas import (
    UPLOAD_NAME_PAIRS,
    DocumentStatus,
    DocumentType,
    DocumentUpload,
    normalize_document_type,
)
from customerbase.documents.storage import DocumentStorage
from customerbase.events import record, register_event_types
from customerbase.kit.crypto import Vault
from customerbase.kit.db import after_commit, after_rollback
from customerbase.kit.errors import (
    Conflict,
    CustomerbaseError,
    FieldError,
    NotFound,
    ValidationFailed,
)
from customerbase.kit.ids import parse_uuid, uuid7
from customerbase.kit.time import isoformat, utcnow
from customerbase.models import Customer, CustomerPerson, Document
from customerbase.organizations.service import Tenant

register_event_types("document.created", "document.deleted", "document.reviewed")

_log = logging.getLogger(__name__)

# Recognised by their bytes (filetype's signatures), never by the name or the declared type.
ALLOWED_CONTENT_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}
_SNIFF_BYTES = 8192


class DocumentNotFound(NotFound):
    error_type = "document_not_found"


class CustomerNotFound(NotFound):
    error_type = "customer_not_found"


class PersonNotFound(NotFound):
    error_type = "person_not_found"


class CustomerStateConflict(Conflict):
    """The customer's status does not allow a change of its documents."""


class DocumentTooLarge(CustomerbaseError):
    status_code = 413
    error_type = "document_too_large"


class UnsupportedDocumentType(CustomerbaseError):
    """The file's bytes are not a PDF, JPEG or PNG (whatever its name or declared type)."""

    status_code = 415
    error_type = "unsupported_document_type"


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A document that passed every check and can be stored."""

    document_type: DocumentType
    filename: str | None
    content: bytes
    content_type: str
    sha256: str


# --- Checks (nothing is stored before all of them pass) ----------------------------------


def sniff(content: bytes) -> str | None:
    """The media type the bytes are (PDF, JPEG or PNG), or None for anything else."""
    kind = filetype.guess(content[:_SNIFF_BYTES]) if content else None
    mime = kind.mime if kind is not None else None
    return mime if mime in ALLOWED_CONTENT_TYPES else None


def too_large(limit: int, field: str) -> DocumentTooLarge:
    return DocumentTooLarge(
        f"The document is larger than {limit} bytes",
        fields=[FieldError(field, f"must be at most {limit} bytes")],
    )


_DATA_URL = re.compile(r"^data:[\w.+/-]*(;[\w=.+-]+)*;base64,", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def decode_base64(value: str, *, field: str, max_bytes: int) -> bytes:
    """The bytes of a base64 string (standard or URL-safe alphabet, line breaks and a `data:`
    URL prefix allowed). Raises 413 past `max_bytes`, 422 naming `field` when it is not
    base64."""
    # (The request's body limit bounds the work: a document's base64 and some room.)
    text = _DATA_URL.sub("", value.strip(), count=1)
    try:
        content = base64.b64decode(text, validate=True)  # the usual case, without a copy
    except (binascii.Error, ValueError):
        content = _decode_loose(text, field)
    if not content:
        raise ValidationFailed.for_field(field, "must not be empty")
    if len(content) > max_bytes:
        raise too_large(max_bytes, field)
    return content


def _decode_loose(text: str, field: str) -> bytes:
    """Base64 with line breaks, the URL-safe alphabet or without its padding."""
    text = _WHITESPACE.sub("", text)
    if "-" in text or "_" in text:
        text = text.replace("-", "+").replace("_", "/")
    if "=" not in text:
        text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed.for_field(field, "is not valid base64") from None


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def clean_filename(name: str | None) -> str | None:
    """The last path segment of a client's file name, without control characters."""
    if name is None:
        return None
    name = _UNSAFE_NAME.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:255] or None


def document_type_of(value: Any, field: str = "document_type") -> DocumentType:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationFailed.for_field(field, "is required")
    try:
        return DocumentType(normalize_document_type(value))
    except ValueError:
        allowed = ", ".join(t.value for t in DocumentType)
        raise ValidationFailed.for_field(field, f"must be one of {allowed}") from None


def prepare_document(
    storage: DocumentStorage,
    *,
    document_type: DocumentType | str | None,
    filename: str | None,
    content: bytes,
    type_field: str = "document_type",
    content_field: str = "file",
) -> PreparedDocument:
    """Check a document (type, size, what its bytes are) without storing anything. The
    `*_field` arguments name the request's fields in the errors."""
    kind = document_type_of(document_type, type_field)
    if not content:
        raise ValidationFailed.for_field(content_field, "must not be empty")
    if len(content) > storage.max_document_bytes:
        raise too_large(storage.max_document_bytes, content_field)
    content_type = sniff(content)
    if content_type is None:
        raise UnsupportedDocumentType(
            "Only PDF, JPEG and PNG files are accepted (recognised by their content)",
            fields=[FieldError(content_field, "must be a PDF, JPEG or PNG file")],
        )
    return PreparedDocument(
        kind,
        clean_filename(filename),
        content,
        content_type,
        hashlib.sha256(content).hexdigest(),
    )


def prepare_upload(
    storage: DocumentStorage, upload: DocumentUpload, *, prefix: str = ""
) -> PreparedDocument:
    """Check a JSON upload (canonical or Advancly's names). `prefix` places its fields in the
    request (`customer_documents[0].`)."""
    for canonical, advancly in UPLOAD_NAME_PAIRS:
        if getattr(upload, canonical) is not None and getattr(upload, advancly) is not None:
            raise ValidationFailed.for_field(
                prefix + advancly, f"send {canonical} or {advancly}, not both"
            )
    if upload.content is None:
        raise ValidationFailed.for_field(prefix + "content_base64", "is required")
    content_field = prefix + upload.content_field
    content = decode_base64(
        upload.content, field=content_field, max_bytes=storage.max_document_bytes
    )
    return prepare_document(
        storage,
        document_type=upload.kind,
        filename=upload.name,
        content=content,
        type_field=prefix + upload.type_field,
        content_field=content_field,
    )


# --- The document object ------------------------------------------------------------------


def document_to_dict(document: Document, vault: Vault) -> dict[str, Any]:
    filename = None
    if document.filename_encrypted is not None:
        filename = vault.decrypt(
            document.filename_encrypted,
            organization_id=document.organization_id,
            field="document_filename",
        )
    return {**event_object(document), "filename": filename}


def event_object(document: Document) -> dict[str, Any]:
    """The document as events and the audit trail show it: without its file name, which is
    often a person's name."""
    return {
        "id": str(document.id),
        "customer_id": str(document.customer_id),
        "person_id": str(document.person_id) if document.person_id else None,
        "document_type": document.document_type,
        "content_type": document.content_type,
        "size_bytes": document.size_bytes,
        "sha256": document.sha256,
        "status": document.status,
        "review_reasons": list(document.review_reasons or []),
        "reviewed_at": isoformat(document.reviewed_at) if document.reviewed_at else None,
        "created_at": isoformat(document.created_at),
        "updated_at": isoformat(document.updated_at),
    }


# --- Reading ------------------------------------------------------------------------------


def _scoped(statement: Any, tenant: Tenant, model: Any) -> Any:
    return statement.where(
        model.organization_id == tenant.organization_id,
        model.environment == tenant.environment,
    )


async def _customer(
    session: AsyncSession, tenant: Tenant, customer_id: uuid.UUID | str, *, for_change: bool
) -> Customer:
    key = customer_id if isinstance(customer_id, uuid.UUID) else parse_uuid(customer_id)
    customer: Customer | None = None
    if key is not None:
        statement = _scoped(select(Customer), tenant, Customer).where(Customer.id == key)
        if for_change:
            # Serialises with an erasure of the same customer, which locks it too.
            statement = statement.with_for_update()
        customer = (await session.execute(statement)).scalars().one_or_none()
    if customer is None:
        raise CustomerNotFound(f"No customer found for {str(customer_id)[:100]!r}")
    if for_change and customer.status == "deleted":
        raise CustomerStateConflict(
            "This customer has been erased and cannot be changed", error_type="customer_deleted"
        )
    if for_change and customer.status == "archived":
        raise CustomerStateConflict(
            "This customer is archived: unarchive it before changing it",
            error_type="customer_archived",
        )
    return customer


async def person_of(
    session: AsyncSession, customer: Customer, person_id: uuid.UUID | str
) -> uuid.UUID:
    """The id of one of `customer`'s people (onboarding's `/people`), or 404."""
    key = person_id if isinstance(person_id, uuid.UUID) else parse_uuid(person_id)
    found = None
    if key is not None:
        found = await session.scalar(
            select(CustomerPerson.id).where(
                CustomerPerson.organization_id == customer.organization_id,
                CustomerPerson.customer_id == customer.id,
                CustomerPerson.id == key,
            )
        )
    if found is None:
        raise PersonNotFound("No such person for this customer")
    return found


async def customer_for_change(
    session: AsyncSession, tenant: Tenant, customer_id: uuid.UUID | str
) -> Customer:
    """The customer whose documents are about to change, locked; 404 if it is not the
    tenant's, 409 if it is erased or archived."""
    return await _customer(session, tenant, customer_id, for_change=True)


async def list_documents(
    session: AsyncSession,
    tenant: Tenant,
    customer_id: uuid.UUID | str,
    *,
    person_id: uuid.UUID | str | None = None,
    document_type: DocumentType | None = None,
    status: DocumentStatus | None = None,
) -> list[Document]:
    """A customer's documents, oldest first (a customer has a handful). 404 for a customer
    that is not the tenant's."""
    customer = await _customer(session, tenant, customer_id, for_change=False)
    statement = (
        _scoped(select(Document), tenant, Document)
        .where(Document.customer_id == customer.id)
        .order_by(Document.id)
    )
    if person_id is not None:
        person_id = await person_of(session, customer, person_id)
        statement = statement.where(Document.person_id == person_id)
    if document_type is not None:
        statement = statement.where(Document.document_type == document_type.value)
    if status is not None:
        statement = statement.where(Document.status == status.value)
    return list((await session.execute(statement)).scalars())


async def get_document(
    session: AsyncSession,
    tenant: Tenant,
    customer_id: uuid.UUID | str,
    document_id: uuid.UUID | str,
    *,
    person_id: uuid.UUID | str | None = None,
    for_change: bool = False,
) -> Document:
    """One document of the customer (of the person, when `person_id` is given), or 404."""
    customer = await _customer(session, tenant, customer_id, for_change=for_change)
    if person_id is not None:
        person_id = await person_of(session, customer, person_id)
    key = document_id if isinstance(document_id, uuid.UUID) else parse_uuid(document_id)
    document: Document | None = None
    if key is not None:
        statement = _scoped(select(Document), tenant, Document).where(
            Document.customer_id == customer.id, Document.id == key
        )
        if person_id is not None:
            statement = statement.where(Document.person_id == person_id)
        if for_change:
            statement = statement.with_for_update()
        document = (await session.execute(statement)).scalars().one_or_none()
    if document is None:
        raise DocumentNotFound(f"No document found for {str(document_id)[:100]!r}")
    return document


async def open_document(
    vault: Vault, storage: DocumentStorage, document: Document
) -> AsyncIterator[bytes]:
    """The document's plaintext, 64 KiB at a time, decrypted as it is read from the store
    (constant memory whatever the size)."""
    key = sealing.unwrap_data_key(
        vault,
        document.wrapped_key,
        organization_id=document.organization_id,
        document_id=document.id,
    )
    async for chunk in sealing.unseal(
        storage.store.read(document.storage_key),
        key,
        organization_id=document.organization_id,
        document_id=document.id,
    ):
        yield chunk


async def read_document(vault: Vault, storage: DocumentStorage, document: Document) -> bytes:
    """The whole plaintext (for a check that needs the file, e.g. sending it to a KYC
    provider): at most `max_document_bytes`."""
    return b"".join([chunk async for chunk in open_document(vault, storage, document)])


# --- Writing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StagedDocument:
    """A checked document whose sealed file is in the store, and whose row is yet to be
    added: `stage` it before the transaction takes its locks (an upload to S3 can take a
    while), `add_staged` it once the customer is found and locked."""

    id: uuid.UUID
    prepared: PreparedDocument
    wrapped_key: bytes
    storage_key: str


async def stage(
    session: AsyncSession,
    vault: Vault,
    storage: DocumentStorage,
    tenant: Tenant,
    prepared: PreparedDocument,
) -> StagedDocument:
    """Seal and write the file. It is removed again if the session's transaction rolls back
    or fails to commit (registered before the write: one that fails half-way leaves nothing
    either)."""
    document_id = uuid7()
    organization_id = tenant.organization_id
    data_key = sealing.new_data_key()
    storage_key = f"{organization_id}/{document_id}"
    store = storage.store

    async def remove_object() -> None:
        await store.delete(storage_key)

    after_rollback(session, remove_object)
    pieces = sealing.seal(
        prepared.content, data_key, organization_id=organization_id, document_id=document_id
    )
    try:
        await store.put(storage_key, pieces)
    except BaseException:
        await remove_object()
        raise
    wrapped = sealing.wrap_data_key(
        vault, data_key, organization_id=organization_id, document_id=document_id
    )
    return StagedDocument(document_id, prepared, wrapped, storage_key)


async def add_staged(
    session: AsyncSession,
    vault: Vault,
    tenant: Tenant,
    customer: Customer,
    staged: StagedDocument,
    *,
    person_id: uuid.UUID | None = None,
) -> Document:
    """The row of a staged document of `customer` (found and locked by the caller), and its
    event, in the session's transaction."""
    now = utcnow()
    prepared = staged.prepared
    organization_id = tenant.organization_id
    document = Document(
        id=staged.id,
        organization_id=organization_id,
        environment=tenant.environment,
        customer_id=customer.id,
        person_id=person_id,
        document_type=prepared.document_type.value,
        content_type=prepared.content_type,
        size_bytes=len(prepared.content),
        sha256=prepared.sha256,
        filename_encrypted=(
            vault.encrypt(
                prepared.filename, organization_id=organization_id, field="document_filename"
            )
            if prepared.filename
            else None
        ),
        wrapped_key=staged.wrapped_key,
        storage_key=staged.storage_key,
        status=DocumentStatus.pending_review.value,
        review_reasons=[],
        reviewed_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(document)
    await session.flush()
    record(session, tenant, "document.created", event_object(document), customer_id=customer.id)
    return document


async def store_document(
    session: AsyncSession,
    vault: Vault,
    storage: DocumentStorage,
    tenant: Tenant,
    customer_id: uuid.UUID | str,
    *,
    person_id: uuid.UUID | None = None,
    document_type: DocumentType | str,
    filename: str | None,
    content: bytes,
) -> Document:
    """Check and store one document of a customer (or of one of its people); the entry point
    for other domains (KYC). Raises 404 / 409 / 413 / 415 / 422 as the HTTP API does."""
    prepared = prepare_document(
        storage, document_type=document_type, filename=filename, content=content
    )
    staged = await stage(session, vault, storage, tenant, prepared)
    customer = await _customer(session, tenant, customer_id, for_change=True)
    if person_id is not None:
        person_id = await person_of(session, customer, person_id)
    return await add_staged(session, vault, tenant, customer, staged, person_id=person_id)


def _remove_after_commit(session: AsyncSession, storage: DocumentStorage, keys: list[str]) -> None:
    store = storage.store

    async def remove_objects() -> None:
        for key in keys:
            try:
                await store.delete(key)
            except Exception as exc:
                # The row (and its wrapped key) is gone: the object can no longer be read.
                _log.warning("document object left in the store: %s", type(exc).__name__)

    after_commit(session, remove_objects)


async def delete_document(
    session: AsyncSession,
    storage: DocumentStorage,
    tenant: Tenant,
    customer_id: uuid.UUID | str,
    document_id: uuid.UUID | str,
    *,
    person_id: uuid.UUID | str | None = None,
) -> Document:
    """Delete the row (and record it) now, the object once the transaction has committed."""
    document = await get_document(
        session, tenant, customer_id, document_id, person_id=person_id, for_change=True
    )
    obj = event_object(document)
    await session.delete(document)
    await session.flush()
    record(
        session,
        tenant,
        "document.deleted",
        obj,
        customer_id=document.customer_id,
        changes={"document": {"old": obj["id"], "new": None}},
    )
    _remove_after_commit(session, storage, [document.storage_key])
    return document


async def set_review(
    session: AsyncSession,
    tenant: Tenant,
    customer_id: uuid.UUID | str,
    document_id: uuid.UUID | str,
    *,
    status: DocumentStatus | str,
    reasons: Iterable[str] = (),
) -> Document:
    """Record the outcome of a review: `verified`, `rejected` (with reasons) or back to
    `pending_review`. Recording the state it already has changes nothing and records nothing."""
    try:
        new_status = DocumentStatus(status)
    except ValueError:
        allowed = ", ".join(s.value for s in DocumentStatus)
        raise ValidationFailed.for_field("status", f"must be one of {allowed}") from None
    reasons = [reason.strip() for reason in reasons if reason.strip()]
    if new_status is DocumentStatus.rejected and not reasons:
        raise ValidationFailed.for_field("reasons", "are required to reject a document")
    if new_status is not DocumentStatus.rejected and reasons:
        raise ValidationFailed.for_field("reasons", "are given only when rejecting a document")
    document = await get_document(session, tenant, customer_id, document_id, for_change=True)
    before = event_object(document)
    if document.status == new_status.value and list(document.review_reasons or []) == reasons:
        return document
    now = utcnow()
    document.status = new_status.value
    document.review_reasons = reasons
    document.reviewed_at = now if new_status is not DocumentStatus.pending_review else None
    document.updated_at = now
    await session.flush()
    record(
        session,
        tenant,
        "document.reviewed",
        event_object(document),
        customer_id=document.customer_id,
        before=before,
    )
    return document


async def erase_customer_documents(
    session: AsyncSession,
    storage: DocumentStorage,
    tenant: Tenant,
    customer_id: uuid.UUID,
    *,
    person_id: uuid.UUID | None = None,
) -> int:
    """Erasure of a customer (or the removal of one of its people, with `person_id`) reaches
    their documents: every row goes (and is recorded) in that transaction, every object once it
    has committed. Returns how many."""
    conditions = [Document.customer_id == customer_id]
    if person_id is not None:
        conditions.append(Document.person_id == person_id)
    documents = list(
        (
            await session.execute(_scoped(select(Document), tenant, Document).where(*conditions))
        ).scalars()
    )
    if not documents:
        return 0
    await session.execute(_scoped(delete(Document), tenant, Document).where(*conditions))
    for document in documents:
        obj = event_object(document)
        record(
            session,
            tenant,
            "document.deleted",
            obj,
            customer_id=customer_id,
            changes={"document": {"old": obj["id"], "new": None}},
        )
    _remove_after_commit(session, storage, [document.storage_key for document in documents])
    return len(documents)
