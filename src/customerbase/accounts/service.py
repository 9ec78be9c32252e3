"""Rules of accounts, cards and transactions. Services never commit: the request does.

- An account or a card is opened only for a customer that exists, is active and is not
  blacklisted; the customer row is locked for the change, so an archive cannot interleave.
- Money is an integer of minor units. A posting changes the balance atomically with its
  transaction row, its event and its audit entry: on PostgreSQL in one statement
  (`postings`), on SQLite through the write engine's single connection, which serialises
  writers. The balance never goes below zero.
- A transaction's reference is unique per account: the same posting sent again is answered
  with the first one (`Idempotent-Replayed: true`), never posted twice; the same reference
  with other values is a 409.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.accounts import numbers, postings
from customerbase.accounts.cascade import account_dict, card_dict
from customerbase.accounts.money import MAX_BALANCE
from customerbase.accounts.schemas import (
    AccountCreate,
    AccountType,
    CardCreate,
    TransactionCreate,
)
from customerbase.accounts.serializers import (
    TRANSACTION_COLUMNS,
    columns_of,
    transaction_to_dict,
)
from customerbase.customers import service as customers
from customerbase.customers.repository import CustomerRepository, Scope
from customerbase.events import event_rows, record, register_event_types
from customerbase.kit.db import Database
from customerbase.kit.errors import (
    Conflict,
    CustomerbaseError,
    FieldError,
    NotFound,
    ValidationFailed,
)
from customerbase.kit.fastdb import Connection, decode_uuid
from customerbase.kit.ids import parse_uuid, uuid7
from customerbase.kit.time import utcnow
from customerbase.models import Account, Card, Customer, Transaction
from customerbase.organizations.service import Tenant

register_event_types(
    "account.created",
    "account.closed",
    "card.created",
    "card.frozen",
    "card.unfrozen",
    "card.terminated",
    "transaction.created",
)


class AccountNotFound(NotFound):
    error_type = "account_not_found"


class CardNotFound(NotFound):
    error_type = "card_not_found"


class TransactionNotFound(NotFound):
    error_type = "transaction_not_found"


class AccountStateConflict(Conflict):
    """The account's, card's or customer's state does not allow this."""


class AccountInactive(AccountStateConflict):
    error_type = "account_inactive"


class AccountClosed(AccountStateConflict):
    error_type = "account_closed"


class CardNotActive(AccountStateConflict):
    error_type = "card_not_active"


class CardNotFrozen(AccountStateConflict):
    error_type = "card_not_frozen"


def _not_active(status: str, message: str) -> AccountStateConflict:
    return AccountClosed(message) if status == "closed" else AccountInactive(message)


class InsufficientFunds(Conflict):
    error_type = "insufficient_funds"


class DuplicateReference(Conflict):
    error_type = "duplicate_reference"


# --- customers: who may hold accounts and cards ----------------------------------------


async def customer_for_change(session: AsyncSession, tenant: Tenant, key: str) -> Customer:
    """The customer addressed by id, locked for the rest of the transaction."""
    customer_id = parse_uuid(key)
    repository = CustomerRepository(session, Scope(tenant.organization_id, tenant.environment))
    customer = await repository.get_by_id(customer_id, for_update=True) if customer_id else None
    if customer is None:
        raise customers.CustomerNotFound("No customer found for this id")
    return customer


def customer_refusal(status: str, blacklisted: bool) -> CustomerbaseError | None:
    """Why a customer in this state may not get new accounts, cards or transactions."""
    if status == "deleted":
        return AccountStateConflict("This customer has been erased", error_type="customer_deleted")
    if status == "archived":
        return AccountStateConflict(
            "This customer is archived: its accounts and cards are inactive until it is unarchived",
            error_type="customer_archived",
        )
    if blacklisted:
        return AccountStateConflict(
            "This customer is blacklisted: no new accounts, cards or transactions",
            error_type="customer_blacklisted",
        )
    return None


def _ensure_customer_open(customer: Customer) -> None:
    refusal = customer_refusal(customer.status, customer.blacklisted)
    if refusal is not None:
        raise refusal


def ensure_customer_changeable(customer: Customer) -> None:
    """Archived and erased customers cannot be changed (a blacklisted one can)."""
    refusal = customer_refusal(customer.status, False)
    if refusal is not None:
        raise refusal


# --- accounts ---------------------------------------------------------------------------


async def _new_account(
    session: AsyncSession, tenant: Tenant, customer: Customer, kind: str, currency: str
) -> Account:
    now = utcnow()
    for _ in range(5):  # a random 9-digit serial: a collision is rare, a retry cheap
        account = Account(
            id=uuid7(),
            organization_id=tenant.organization_id,
            environment=tenant.environment,
            customer_id=customer.id,
            type=kind,
            currency=currency,
            account_number=numbers.new_account_number(),
            status="active",
            status_reason=None,
            balance=0,
            created_at=now,
            updated_at=now,
            closed_at=None,
        )
        try:
            async with session.begin_nested():
                session.add(account)
        except IntegrityError:
            continue
        record(session, tenant, "account.created", account_dict(account), customer_id=customer.id)
        return account
    raise Conflict("Could not allocate an account number; retry the request")  # pragma: no cover


async def open_account(
    session: AsyncSession, tenant: Tenant, customer_key: str, data: AccountCreate
) -> dict[str, Any]:
    customer = await customer_for_change(session, tenant, customer_key)
    _ensure_customer_open(customer)
    account = await _new_account(session, tenant, customer, data.type.value, data.currency)
    return account_dict(account)


async def open_wallet(session: AsyncSession, tenant: Tenant, customer: Customer) -> dict[str, Any]:
    """The wallet of `create_wallet: true` (Advancly's onboarding), in the create's session."""
    account = await _new_account(
        session, tenant, customer, AccountType.wallet.value, AccountCreate().currency
    )
    return account_dict(account)


async def _account_for_change(session: AsyncSession, tenant: Tenant, key: str) -> Account:
    account_id = parse_uuid(key)
    account = None
    if account_id is not None:
        account = await session.scalar(
            select(Account)
            .where(
                Account.organization_id == tenant.organization_id,
                Account.environment == tenant.environment,
                Account.id == account_id,
            )
            .with_for_update()
        )
    if account is None:
        raise AccountNotFound("No account found for this id")
    return account


async def close_account(
    session: AsyncSession, tenant: Tenant, key: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Close an account at a zero balance; its cards are terminated with it. Returns the
    account and the cards that changed."""
    account = await _account_for_change(session, tenant, key)
    customer = await customer_for_change(session, tenant, str(account.customer_id))
    ensure_customer_changeable(customer)
    if account.status == "closed":
        raise AccountClosed("This account is already closed")
    if account.balance != 0:
        raise AccountStateConflict(
            f"An account is closed only at a zero balance; this one holds {account.balance} "
            f"(minor units of {account.currency})",
            error_type="account_balance_not_zero",
        )
    now = utcnow()
    before = account_dict(account)
    account.status, account.status_reason = "closed", None
    account.closed_at = account.updated_at = now
    record(
        session,
        tenant,
        "account.closed",
        account_dict(account),
        customer_id=customer.id,
        before=before,
    )
    cards = await session.scalars(
        select(Card)
        .where(Card.account_id == account.id, Card.status != "terminated")
        .order_by(Card.id)
        .with_for_update()
    )
    changed = []
    for card in cards:
        card_before = card_dict(card)
        card.status, card.status_reason, card.updated_at = "terminated", "account_closed", now
        after = card_dict(card)
        record(
            session, tenant, "card.terminated", after, customer_id=customer.id, before=card_before
        )
        changed.append(
            {"id": after["id"], "status": {"old": card_before["status"], "new": "terminated"}}
        )
    await session.flush()
    return account_dict(account), changed


# --- cards ------------------------------------------------------------------------------


async def issue_card(
    session: AsyncSession, tenant: Tenant, customer_key: str, data: CardCreate
) -> dict[str, Any]:
    """A virtual card: the number is made, its last four digits kept, the rest forgotten."""
    customer = await customer_for_change(session, tenant, customer_key)
    _ensure_customer_open(customer)
    account_id = parse_uuid(data.account_id)
    account = await _account_for_change(session, tenant, data.account_id) if account_id else None
    if account is None or account.customer_id != customer.id:
        raise ValidationFailed.for_field("account_id", "is not an account of this customer")
    if account.status != "active":
        raise _not_active(
            account.status,
            f"Cards are issued only on an active account; this one is {account.status}",
        )
    now = utcnow()
    number = numbers.new_card_number(data.brand.value)
    month, year = numbers.card_expiry(now.date())
    card = Card(
        id=uuid7(),
        organization_id=tenant.organization_id,
        environment=tenant.environment,
        customer_id=customer.id,
        account_id=account.id,
        brand=data.brand.value,
        last4=number[-4:],
        expiry_month=month,
        expiry_year=year,
        status="active",
        status_reason=None,
        created_at=now,
        updated_at=now,
    )
    del number
    session.add(card)
    await session.flush()
    created = card_dict(card)
    record(session, tenant, "card.created", created, customer_id=customer.id)
    return created


async def _card_for_change(session: AsyncSession, tenant: Tenant, key: str) -> Card:
    card_id = parse_uuid(key)
    card = None
    if card_id is not None:
        card = await session.scalar(
            select(Card)
            .where(
                Card.organization_id == tenant.organization_id,
                Card.environment == tenant.environment,
                Card.id == card_id,
            )
            .with_for_update()
        )
    if card is None:
        raise CardNotFound("No card found for this id")
    return card


_CARD_MOVES = {
    # action: (allowed from, to, event type)
    "freeze": (("active",), "frozen", "card.frozen"),
    "unfreeze": (("frozen",), "active", "card.unfrozen"),
    "terminate": (("active", "frozen", "inactive"), "terminated", "card.terminated"),
}


async def change_card(
    session: AsyncSession, tenant: Tenant, key: str, action: str
) -> dict[str, Any]:
    """Freeze, unfreeze or terminate a card. Terminating is final; it is allowed whatever the
    customer's state (it only ever takes a card out of use)."""
    card = await _card_for_change(session, tenant, key)
    customer = await customer_for_change(session, tenant, str(card.customer_id))
    allowed, target, kind = _CARD_MOVES[action]
    if action != "terminate":
        ensure_customer_changeable(customer)
    if card.status == "terminated":
        raise AccountStateConflict("This card is terminated", error_type="card_terminated")
    if card.status not in allowed:
        error = CardNotFrozen if action == "unfreeze" else CardNotActive
        raise error(f"Cannot {action} a card that is {card.status}")
    before = card_dict(card)
    card.status, card.status_reason, card.updated_at = target, None, utcnow()
    await session.flush()
    after = card_dict(card)
    record(session, tenant, kind, after, customer_id=customer.id, before=before)
    return after


# --- transactions -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Posting:
    transaction: dict[str, Any]
    replayed: bool


def _replay(existing: dict[str, Any], data: TransactionCreate) -> Posting:
    """The first posting of this reference, if the retry asks for the same thing."""
    sent = {
        "direction": data.direction.value,
        "amount": data.amount,
        "currency": data.currency,
        "narration": data.narration,
    }
    differing = [name for name, value in sent.items() if existing[name] != value]
    if differing:
        raise DuplicateReference(
            "This reference was already used on this account for another transaction",
            fields=[
                FieldError(name, "differs from the transaction already posted with this reference")
                for name in differing
            ],
            extra={"existing_transaction_id": existing["id"]},
        )
    return Posting(existing, True)


def _refusal(state: Mapping[str, Any], data: TransactionCreate) -> CustomerbaseError | None:
    refusal = customer_refusal(state["customer_status"], bool(state["blacklisted"]))
    if refusal is not None:
        return refusal
    status = state["status"]
    if status != "active":
        return _not_active(status, f"This account is {status}: it takes no transactions")
    if state["currency"] != data.currency:
        return ValidationFailed.for_field(
            "currency", f"must be the account's currency, {state['currency']}"
        )
    balance = int(state["balance"])
    if data.direction.value == "debit" and balance < data.amount:
        return InsufficientFunds("The debit would overdraw the account", extra={"balance": balance})
    if data.direction.value == "credit" and balance + data.amount > MAX_BALANCE:
        return AccountStateConflict(
            "The credit would take the balance over the limit an account may hold",
            error_type="balance_limit_exceeded",
        )
    return None


def _posting_object(
    transaction_id: uuid.UUID,
    account_id: uuid.UUID,
    customer_id: Any,
    balance_after: int,
    data: TransactionCreate,
    now: Any,
) -> dict[str, Any]:
    return transaction_to_dict(
        {
            "id": transaction_id,
            "account_id": account_id,
            "customer_id": customer_id,
            "direction": data.direction.value,
            "amount": data.amount,
            "currency": data.currency,
            "reference": data.reference,
            "narration": data.narration,
            "balance_after": balance_after,
            "status": "successful",
            "created_at": now,
        }
    )


async def _existing_fast(
    connection: Connection, tenant: Tenant, transaction_id: Any
) -> dict[str, Any]:
    row = await connection.fetchrow(
        f"SELECT {TRANSACTION_COLUMNS} FROM transactions"  # noqa: S608 - constant columns
        " WHERE organization_id = $1 AND environment = $2 AND id = $3",
        tenant.organization_id,
        tenant.environment,
        transaction_id,
    )
    assert row is not None
    return transaction_to_dict(row)


async def post_transaction_fast(
    connection: Connection, tenant: Tenant, account_id: uuid.UUID, data: TransactionCreate
) -> Posting:
    """PostgreSQL: the one-statement posting (`postings.POST`), then, only when it wrote
    nothing, the reason why."""
    for _ in range(3):
        transaction_id, now = uuid7(), utcnow()
        # customer_id and balance_after are filled in by the statement (placeholders here).
        obj = _posting_object(transaction_id, account_id, uuid.UUID(int=0), 0, data, now)
        recorded = event_rows(
            tenant, "transaction.created", obj, customer_id=uuid.UUID(int=0), created_at=now
        )
        try:
            row = await postings.post(
                connection,
                organization_id=tenant.organization_id,
                environment=tenant.environment,
                account_id=account_id,
                transaction_id=transaction_id,
                direction=data.direction.value,
                amount=data.amount,
                currency=data.currency,
                reference=data.reference,
                narration=data.narration,
                max_balance=MAX_BALANCE,
                now=now,
                recorded=recorded,
            )
        except postings.UniqueViolation:
            existing_id = await connection.fetchval(
                postings.BY_REFERENCE,
                tenant.organization_id,
                tenant.environment,
                account_id,
                data.reference,
            )
            return _replay(await _existing_fast(connection, tenant, existing_id), data)
        if row is not None:
            obj["customer_id"] = decode_uuid(row["customer_id"])
            obj["balance_after"] = int(row["balance_after"])
            return Posting(obj, False)
        state = await connection.fetchrow(
            postings.ACCOUNT_STATE,
            tenant.organization_id,
            tenant.environment,
            account_id,
            data.reference,
        )
        if state is None:
            raise AccountNotFound("No account found for this id")
        if state["existing_id"] is not None:
            return _replay(await _existing_fast(connection, tenant, state["existing_id"]), data)
        refusal = _refusal(state, data)
        if refusal is not None:
            raise refusal
        # The state that failed the posting changed before it was read: try again.
    raise Conflict("The account changed during the posting; retry the request")


async def post_transaction(
    session: AsyncSession, tenant: Tenant, account_id: uuid.UUID, data: TransactionCreate
) -> Posting:
    """SQLite (or any database through the ORM session): the write engine's single connection
    serialises postings, so a read of the state and a conditional UPDATE cannot interleave."""
    existing = await session.scalar(
        select(Transaction).where(
            Transaction.organization_id == tenant.organization_id,
            Transaction.environment == tenant.environment,
            Transaction.account_id == account_id,
            Transaction.reference == data.reference,
        )
    )
    if existing is not None:
        return _replay(transaction_to_dict(columns_of(existing, TRANSACTION_COLUMNS)), data)
    state = (
        (
            await session.execute(
                select(
                    Account.status,
                    Account.currency,
                    Account.balance,
                    Account.customer_id,
                    Customer.status.label("customer_status"),
                    Customer.blacklisted,
                )
                .join(
                    Customer,
                    (Customer.organization_id == Account.organization_id)
                    & (Customer.id == Account.customer_id),
                )
                .where(
                    Account.organization_id == tenant.organization_id,
                    Account.environment == tenant.environment,
                    Account.id == account_id,
                )
            )
        )
        .mappings()
        .first()
    )
    if state is None:
        raise AccountNotFound("No account found for this id")
    refusal = _refusal(dict(state), data)
    if refusal is not None:
        raise refusal
    delta = data.amount if data.direction.value == "credit" else -data.amount
    now = utcnow()
    balance_after = await session.scalar(
        update(Account)
        .where(
            Account.id == account_id,
            Account.status == "active",
            Account.balance + delta >= 0,
            Account.balance + delta <= MAX_BALANCE,
        )
        .values(balance=Account.balance + delta, updated_at=now)
        .returning(Account.balance)
    )
    if balance_after is None:  # pragma: no cover - the write connection serialises writers
        raise Conflict("The account changed during the posting; retry the request")
    transaction = Transaction(
        id=uuid7(),
        organization_id=tenant.organization_id,
        environment=tenant.environment,
        account_id=account_id,
        customer_id=state["customer_id"],
        direction=data.direction.value,
        amount=data.amount,
        currency=data.currency,
        reference=data.reference,
        narration=data.narration,
        balance_after=balance_after,
        status="successful",
        created_at=now,
    )
    session.add(transaction)
    obj = transaction_to_dict(columns_of(transaction, TRANSACTION_COLUMNS))
    record(session, tenant, "transaction.created", obj, customer_id=state["customer_id"])
    return Posting(obj, False)


async def post(
    database: Database, connection: Connection, tenant: Tenant, key: str, data: TransactionCreate
) -> Posting:
    """Post on PostgreSQL's raw connection, or through SQLite's write connection."""
    account_id = parse_uuid(key)
    if account_id is None:
        raise AccountNotFound("No account found for this id")
    if not database.fast.is_sqlite:
        return await post_transaction_fast(connection, tenant, account_id, data)
    async with database.write_session() as session:
        return await post_transaction(session, tenant, account_id, data)
