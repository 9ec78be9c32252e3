"""SQLAlchemy models, one module per table. Importing this package registers them all."""

from customerbase.models.account import Account
from customerbase.models.api_key import APIKey
from customerbase.models.audit_entry import AuditEntry
from customerbase.models.base import Base
from customerbase.models.card import Card
from customerbase.models.customer import Customer
from customerbase.models.customer_consent import CustomerConsent
from customerbase.models.customer_import import CustomerImport
from customerbase.models.customer_order import CustomerOrder
from customerbase.models.customer_person import CustomerPerson
from customerbase.models.customer_stock import CustomerStock
from customerbase.models.document import Document
from customerbase.models.event import Event
from customerbase.models.idempotency_key import IdempotencyKey
from customerbase.models.identity_block import IdentityBlock
from customerbase.models.kyc_check import KycCheck
from customerbase.models.kyc_link import KycLink
from customerbase.models.kyc_settings import KycSettings
from customerbase.models.organization import Organization
from customerbase.models.transaction import Transaction
from customerbase.models.watchlist import Watchlist
from customerbase.models.watchlist_alias import WatchlistAlias
from customerbase.models.watchlist_entry import WatchlistEntry
from customerbase.models.webhook_delivery import WebhookDelivery
from customerbase.models.webhook_endpoint import WebhookEndpoint

__all__ = [
    "APIKey",
    "Account",
    "AuditEntry",
    "Base",
    "Card",
    "Customer",
    "CustomerConsent",
    "CustomerImport",
    "CustomerOrder",
    "CustomerPerson",
    "CustomerStock",
    "Document",
    "Event",
    "IdempotencyKey",
    "IdentityBlock",
    "KycCheck",
    "KycLink",
    "KycSettings",
    "Organization",
    "Transaction",
    "Watchlist",
    "WatchlistAlias",
    "WatchlistEntry",
    "WebhookDelivery",
    "WebhookEndpoint",
]
