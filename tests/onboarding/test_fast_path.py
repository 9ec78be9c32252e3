"""The fast path keeps its shape with the onboarding profile: a create on PostgreSQL is still
one statement carrying every new column, and reads still render from raw rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from customerbase.customers import service
from customerbase.customers.schemas import CustomerCreate
from customerbase.customers.serializers import RESPONSE_COLUMNS
from customerbase.kit.crypto import Vault
from customerbase.organizations.service import Tenant
from tests.onboarding.support import full_individual


class Recorder:
    def __init__(self) -> None:
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self.statements.append((sql, args))
        return uuid.uuid4()

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        self.statements.append((sql, args))
        return None

    async def fetch(self, sql: str, *args: Any) -> Sequence[Any]:
        self.statements.append((sql, args))
        return []


async def test_a_full_profile_create_is_one_statement_on_postgresql(vault: Vault) -> None:
    tenant = Tenant(uuid.uuid4(), "test", uuid.uuid4())
    data = CustomerCreate.model_validate(full_individual())
    recorder = Recorder()
    await service.create_customer_fast(recorder, vault, tenant, data)
    ((sql, args),) = recorder.statements
    assert sql.startswith("WITH created AS (INSERT INTO customers")
    for column in ("tin_index", "bank_account_number_encrypted", "next_of_kin", "consents"):
        assert column in sql
    # The block-list guard covers the tax id as well: six identities, BVN and TIN among them.
    assert args.count("tin") == 1
    assert data.bvn is not None
    assert data.bvn not in str(args)  # only its ciphertext, index and masked form travel
    assert data.bank_account is not None
    assert data.bank_account.account_number not in str(args)


def test_every_response_column_is_read_by_the_raw_select() -> None:
    for column in ("tin_last4", "bank_account", "bank_account_number_last4", "consents"):
        assert column in RESPONSE_COLUMNS
    assert "tin_encrypted" not in RESPONSE_COLUMNS
    assert "bank_account_number_encrypted" not in RESPONSE_COLUMNS
