"""SQLAlchemy models, one module per table. Importing this package registers them all."""

from customerbase.models.api_key import APIKey
from customerbase.models.audit_entry import AuditEntry
from customerbase.models.base import Base
from customerbase.models.customer import Customer
from customerbase.models.customer_import import CustomerImport
from customerbase.models.event import Event
from customerbase.models.idempotency_key import IdempotencyKey
from customerbase.models.identity_block import IdentityBlock
from customerbase.models.organization import Organization
from customerbase.models.watchlist import Watchlist
from customerbase.models.watchlist_alias import WatchlistAlias
from customerbase.models.watchlist_entry import WatchlistEntry
from customerbase.models.webhook_delivery import WebhookDelivery
from customerbase.models.webhook_endpoint import WebhookEndpoint

__all__ = [
    "APIKey",
    "AuditEntry",
    "Base",
    "Customer",
    "CustomerImport",
    "Event",
    "IdempotencyKey",
    "IdentityBlock",
    "Organization",
    "Watchlist",
    "WatchlistAlias",
    "WatchlistEntry",
    "WebhookDelivery",
    "WebhookEndpoint",
]
