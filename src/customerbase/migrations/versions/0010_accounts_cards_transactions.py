"""accounts, cards, transactions, and Advancly's customer orders and stock

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _tenant_columns(table: str) -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "organization_id",
            sa.Uuid(),
            sa.ForeignKey(
                "organizations.id",
                name=op.f(f"fk_{table}_organization_id_organizations"),
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("environment", sa.String(length=4), nullable=False),
    ]


def _stamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _index(table: str, columns: list[str], *, unique: bool = False) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, columns, unique=unique)


def upgrade() -> None:
    op.create_table(
        "accounts",
        *_tenant_columns("accounts"),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("account_number", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=32), nullable=True),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        *_stamps(),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.ForeignKeyConstraint(
            ["organization_id", "customer_id"],
            ["customers.organization_id", "customers.id"],
            name=op.f("fk_accounts_organization_id_customers"),
            ondelete="CASCADE",
        ),
    )
    _index("accounts", ["organization_id", "environment", "account_number"], unique=True)
    _index("accounts", ["organization_id", "environment", "customer_id", "id"])

    op.create_table(
        "cards",
        *_tenant_columns("cards"),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "account_id",
            sa.Uuid(),
            sa.ForeignKey("accounts.id", name=op.f("fk_cards_account_id_accounts")),
            nullable=False,
        ),
        sa.Column("brand", sa.String(length=16), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("expiry_month", sa.Integer(), nullable=False),
        sa.Column("expiry_year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=32), nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cards")),
    )
    _index("cards", ["organization_id", "environment", "customer_id", "id"])
    _index("cards", ["account_id"])

    op.create_table(
        "transactions",
        *_tenant_columns("transactions"),
        sa.Column(
            "account_id",
            sa.Uuid(),
            sa.ForeignKey("accounts.id", name=op.f("fk_transactions_account_id_accounts")),
            nullable=False,
        ),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=6), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("narration", sa.String(length=500), nullable=True),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
    )
    _index(
        "transactions", ["organization_id", "environment", "account_id", "reference"], unique=True
    )
    _index("transactions", ["organization_id", "environment", "account_id", "id"])
    _index("transactions", ["organization_id", "environment", "customer_id", "id"])

    op.create_table(
        "customer_orders",
        *_tenant_columns("customer_orders"),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("order_amount", sa.BigInteger(), nullable=False),
        sa.Column("order_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_credit", sa.Boolean(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_orders")),
    )
    _index(
        "customer_orders",
        ["organization_id", "environment", "customer_id", "order_id"],
        unique=True,
    )

    op.create_table(
        "customer_stock",
        *_tenant_columns("customer_stock"),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.String(length=100), nullable=False),
        sa.Column("date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("product_category", sa.String(length=100), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("available_quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_stock")),
    )
    _index(
        "customer_stock",
        ["organization_id", "environment", "customer_id", "product_id", "date"],
        unique=True,
    )


def downgrade() -> None:
    for table in ("customer_stock", "customer_orders", "transactions", "cards", "accounts"):
        op.drop_table(table)
