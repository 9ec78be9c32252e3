"""HTTP endpoints of accounts, cards and transactions. Reads and postings run on the fast
path (a raw connection per request, rows rendered as dicts); account and card changes use the
ORM write session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from customerbase.accounts import reads, service
from customerbase.accounts.schemas import (
    AccountCreate,
    CardCreate,
    PageParams,
    TransactionCreate,
    TransactionListParams,
)
from customerbase.accounts.serializers import account_to_dict, card_to_dict, transaction_to_dict
from customerbase.kit.db import Database
from customerbase.kit.dependencies import WriteSessionDep
from customerbase.kit.envelope import OrjsonResponse, error_responses, ok
from customerbase.kit.routing import JsonRoute
from customerbase.organizations.auth import TenantDep, authenticate_request

router = APIRouter(tags=["accounts"], responses=error_responses(401, 422), route_class=JsonRoute)
READ = error_responses(404)
WRITE = error_responses(404, 409)


# --- accounts ---------------------------------------------------------------------------


@router.post("/v1/customers/{customer_id}/accounts", status_code=201, responses=WRITE)
async def open_account(
    customer_id: str, body: AccountCreate, tenant: TenantDep, session: WriteSessionDep
) -> OrjsonResponse:
    """Open a wallet or a virtual account (10-digit NUBAN) for an active customer."""
    account = await service.open_account(session, tenant, customer_id, body)
    return ok(account, "Account created successfully", status_code=201)


@router.get("/v1/customers/{key}/accounts", responses=READ)
async def list_accounts(
    key: str, params: Annotated[PageParams, Query()], request: Request
) -> OrjsonResponse:
    """A customer's accounts, newest first; cursor pagination."""
    database: Database = request.app.state.database
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        rows, meta = await reads.list_accounts(database.fast, connection, tenant, key, params)
    return ok([account_to_dict(r) for r in rows], "Accounts retrieved successfully", meta=meta)


@router.get("/v1/accounts/{account_id}", responses=READ)
async def get_account(account_id: str, request: Request) -> OrjsonResponse:
    """Get an account with its balance (in minor units)."""
    database: Database = request.app.state.database
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        row = await reads.get_account(database.fast, connection, tenant, account_id)
    return ok(account_to_dict(row), "Account retrieved successfully")


@router.post("/v1/accounts/{account_id}/close", responses=WRITE)
async def close_account(
    account_id: str, tenant: TenantDep, session: WriteSessionDep
) -> OrjsonResponse:
    """Close an account at a zero balance; its cards are terminated (listed in `meta`)."""
    account, cards = await service.close_account(session, tenant, account_id)
    return ok(account, "Account closed successfully", meta={"cascade": {"cards": cards}})


# --- cards ------------------------------------------------------------------------------


@router.post("/v1/customers/{customer_id}/cards", status_code=201, responses=WRITE)
async def issue_card(
    customer_id: str, body: CardCreate, tenant: TenantDep, session: WriteSessionDep
) -> OrjsonResponse:
    """Issue a virtual card on one of the customer's active accounts."""
    card = await service.issue_card(session, tenant, customer_id, body)
    return ok(card, "Card created successfully", status_code=201)


@router.get("/v1/customers/{key}/cards", responses=READ)
async def list_cards(
    key: str, params: Annotated[PageParams, Query()], request: Request
) -> OrjsonResponse:
    """A customer's cards, newest first; cursor pagination."""
    database: Database = request.app.state.database
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        rows, meta = await reads.list_cards(database.fast, connection, tenant, key, params)
    return ok([card_to_dict(r) for r in rows], "Cards retrieved successfully", meta=meta)


@router.get("/v1/cards/{card_id}", responses=READ)
async def get_card(card_id: str, request: Request) -> OrjsonResponse:
    """Get a card: its last four digits, brand, expiry and status."""
    database: Database = request.app.state.database
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        row = await reads.get_card(database.fast, connection, tenant, card_id)
    return ok(card_to_dict(row), "Card retrieved successfully")


@router.post("/v1/cards/{card_id}/freeze", responses=WRITE)
async def freeze_card(card_id: str, tenant: TenantDep, session: WriteSessionDep) -> OrjsonResponse:
    """Freeze an active card."""
    card = await service.change_card(session, tenant, card_id, "freeze")
    return ok(card, "Card frozen successfully")


@router.post("/v1/cards/{card_id}/unfreeze", responses=WRITE)
async def unfreeze_card(
    card_id: str, tenant: TenantDep, session: WriteSessionDep
) -> OrjsonResponse:
    """Make a frozen card active again."""
    card = await service.change_card(session, tenant, card_id, "unfreeze")
    return ok(card, "Card unfrozen successfully")


@router.post("/v1/cards/{card_id}/terminate", responses=WRITE)
async def terminate_card(
    card_id: str, tenant: TenantDep, session: WriteSessionDep
) -> OrjsonResponse:
    """Terminate a card for good."""
    card = await service.change_card(session, tenant, card_id, "terminate")
    return ok(card, "Card terminated successfully")


# --- transactions -----------------------------------------------------------------------


@router.post("/v1/accounts/{account_id}/transactions", status_code=201, responses=WRITE)
async def post_transaction(
    account_id: str, body: TransactionCreate, request: Request
) -> OrjsonResponse:
    """Post a credit or a debit. The reference is unique per account: the same request sent
    again answers the first posting (header `Idempotent-Replayed: true`) and posts nothing."""
    database: Database = request.app.state.database
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        posting = await service.post(database, connection, tenant, account_id, body)
    if posting.replayed:
        response = ok(posting.transaction, "Transaction already posted", status_code=201)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    return ok(posting.transaction, "Transaction posted successfully", status_code=201)


@router.get("/v1/accounts/{account_id}/transactions", responses=READ)
async def list_account_transactions(
    account_id: str, params: Annotated[TransactionListParams, Query()], request: Request
) -> OrjsonResponse:
    """An account's transactions, newest first: filters by direction, currency, date and
    amount range; cursor pagination."""
    database: Database = request.app.state.database
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        rows, meta = await reads.list_transactions(
            database.fast, connection, tenant, params, account_key=account_id
        )
    data = [transaction_to_dict(r) for r in rows]
    return ok(data, "Transactions retrieved successfully", meta=meta)


@router.get("/v1/customers/{key}/transactions", responses=READ)
async def list_customer_transactions(
    key: str, params: Annotated[TransactionListParams, Query()], request: Request
) -> OrjsonResponse:
    """A customer's transactions on all its accounts, newest first, with the same filters."""
    database: Database = request.app.state.database
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        rows, meta = await reads.list_transactions(
            database.fast, connection, tenant, params, customer_key=key
        )
    data = [transaction_to_dict(r) for r in rows]
    return ok(data, "Transactions retrieved successfully", meta=meta)


@router.get("/v1/transactions/{transaction_id}", responses=READ)
async def get_transaction(transaction_id: str, request: Request) -> OrjsonResponse:
    """Get one transaction."""
    database: Database = request.app.state.database
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        row = await reads.get_transaction(database.fast, connection, tenant, transaction_id)
    return ok(transaction_to_dict(row), "Transaction retrieved successfully")


@router.get("/v1/customers/{key}/summary", responses=READ)
async def customer_summary(key: str, request: Request) -> OrjsonResponse:
    """A customer's activity: transactions counted and totalled per direction and currency,
    balances, accounts and cards by status, first and last activity."""
    database: Database = request.app.state.database
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        data = await reads.summary(database.fast, connection, tenant, key)
    return ok(data, "Summary retrieved successfully")
