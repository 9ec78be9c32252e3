"""Export of customers as CSV or JSON lines, streamed in constant memory.

The list endpoint's filters pick the customers; they are read newest first in keyset batches
(`id < last id of the previous batch`), on one raw connection of the fast path, and each
customer is rendered exactly as the API shows it (masked by `serializers.row_to_dict`). Each
batch is its own snapshot: a customer created during the export is newer than the cursor and
never appears half-way; one erased during it may still appear as it was.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

import orjson

from customerbase.customers.queries import CustomerQueries
from customerbase.customers.repository import CustomerFilter, Scope
from customerbase.customers.schemas import AddressOut, CustomerListParams, CustomerOut
from customerbase.customers.serializers import row_to_dict
from customerbase.customers.service import _list_filter
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.kit.errors import ValidationFailed
from customerbase.organizations.service import Tenant

ExportFormat = Literal["csv", "jsonl"]
BATCH_ROWS = 1_000
MEDIA_TYPES: dict[str, str] = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}

_NEWEST = uuid.UUID(int=2**128 - 1)
_PAGING = ("page", "take", "starting_after", "ending_before")
_ADDRESS_KEYS = tuple(AddressOut.model_fields)


def export_filter(params: CustomerListParams) -> CustomerFilter:
    """The list endpoint's filters; paging has no meaning for an export and is refused."""
    for name in _PAGING:
        if name in params.model_fields_set:
            raise ValidationFailed.for_field(name, "is not used by the export (it returns all)")
    return _list_filter(params)


def csv_columns() -> list[str]:
    """The CSV header: the customer object's fields, `address` spread over `address.*`
    columns and `metadata` as one JSON column (the shapes the import reads back)."""
    columns: list[str] = []
    for name in _CUSTOMER_KEYS:
        if name == "address":
            columns += [f"address.{key}" for key in _ADDRESS_KEYS]
        else:
            columns.append(name)
    return columns


_CUSTOMER_KEYS: tuple[str, ...] = tuple(CustomerOut.model_fields)  # the response's order


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _csv_cells(item: dict[str, Any]) -> list[Any]:
    cells: list[Any] = []
    for name in _CUSTOMER_KEYS:
        value = item[name]
        if name == "address":
            address = value or {}
            cells += [_cell(address.get(key)) for key in _ADDRESS_KEYS]
        elif name == "metadata":
            cells.append(orjson.dumps(value).decode() if value else "")
        else:
            cells.append(_cell(value))
    return cells


async def stream_customers(
    database: Database,
    vault: Vault,
    tenant: Tenant,
    filters: CustomerFilter,
    file_format: ExportFormat,
    *,
    batch_rows: int = BATCH_ROWS,
) -> AsyncIterator[bytes]:
    """The export, one chunk of bytes per batch of customers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if file_format == "csv":
        writer.writerow(csv_columns())
        yield buffer.getvalue().encode()
    scope = Scope(tenant.organization_id, tenant.environment)
    organization_id = tenant.organization_id
    # The fast path's keyset batches (newest first, `id < last id`), on one raw connection
    # held for the export: rows, never ORM objects, rendered as the API renders them.
    async with database.fast.connection() as connection:
        queries = CustomerQueries(database.fast, connection, scope)
        cursor = _NEWEST
        while True:
            batch = await queries.after(filters, cursor, limit=batch_rows)
            if not batch:
                return
            items = [row_to_dict(row, vault, organization_id) for row in batch]
            cursor = uuid.UUID(items[-1]["id"])
            if file_format == "jsonl":
                yield b"".join(orjson.dumps(item) + b"\n" for item in items)
            else:
                buffer.seek(0)
                buffer.truncate()
                writer.writerows(_csv_cells(item) for item in items)
                yield buffer.getvalue().encode()
            if len(batch) < batch_rows:
                return
