"""Multi-step work across domains: onboarding a customer (and its people) together with its
documents."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.customers import service as customers
from customerbase.customers.schemas import CustomerCreate
from customerbase.documents import service
from customerbase.documents.storage import DocumentStorage
from customerbase.kit.crypto import Vault
from customerbase.models import Customer
from customerbase.onboarding.service import create_customer_with_people
from customerbase.organizations.service import Tenant


async def create_customer_with_documents(
    session: AsyncSession,
    vault: Vault,
    storage: DocumentStorage,
    tenant: Tenant,
    data: CustomerCreate,
) -> Customer:
    """Advancly's onboarding with `customer_documents`: every document is checked before
    anything is written, then the customer and its documents go into one transaction, so a
    failure anywhere stores nothing (files written before it are removed on rollback)."""
    prepared = [
        service.prepare_upload(storage, upload, prefix=f"customer_documents[{index}].")
        for index, upload in enumerate(data.customer_documents or ())
    ]
    # The files before the customer's INSERT, which (on SQLite) takes the write lock.
    staged = [await service.stage(session, vault, storage, tenant, p) for p in prepared]
    if data.people:
        customer = await create_customer_with_people(session, vault, tenant, data)
    else:
        customer = await customers.create_customer(session, vault, tenant, data)
    for document in staged:
        await service.add_staged(session, vault, tenant, customer, document)
    return customer
