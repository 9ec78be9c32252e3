"""folded search columns on customers; identity blocks

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_COLUMNS = (
    "search_name",
    "search_middle",
    "search_last",
    "search_company",
    "search_email",
    "search_reference",
    "search_phone",
    "search_phone_national",
)


def _search_type() -> sa.types.TypeEngine[str]:
    return sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")


def _backfill() -> None:
    # The one normalisation lives in customerbase.kit.search; a data migration uses it rather
    # than a copy that could drift.
    from customerbase.customers.search import search_values

    bind = op.get_bind()
    customers = sa.table(
        "customers",
        sa.column("organization_id", sa.Uuid()),
        sa.column("id", sa.Uuid()),
        sa.column("customer_type", sa.String()),
        sa.column("first_name", sa.String()),
        sa.column("middle_name", sa.String()),
        sa.column("last_name", sa.String()),
        sa.column("company_name", sa.String()),
        sa.column("email", sa.String()),
        sa.column("reference", sa.String()),
        sa.column("phone_number", sa.String()),
        *(sa.column(name, sa.String()) for name in SEARCH_COLUMNS),
    )
    rows = bind.execute(
        sa.select(
            customers.c.organization_id,
            customers.c.id,
            customers.c.first_name,
            customers.c.middle_name,
            customers.c.last_name,
            customers.c.company_name,
            customers.c.email,
            customers.c.reference,
            customers.c.phone_number,
        )
    ).all()
    for row in rows:
        values = search_values(
            first_name=row.first_name,
            middle_name=row.middle_name,
            last_name=row.last_name,
            company_name=row.company_name,
            email=row.email,
            reference=row.reference,
            phone_number=row.phone_number,
        )
        bind.execute(
            customers.update()
            .where(customers.c.organization_id == row.organization_id, customers.c.id == row.id)
            .values(**values)
        )


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        for name in SEARCH_COLUMNS:
            batch_op.add_column(sa.Column(name, _search_type(), nullable=True))
    for name in SEARCH_COLUMNS:
        op.create_index(
            op.f(f"ix_customers_organization_id_environment_{name}"),
            "customers",
            ["organization_id", "environment", name],
            unique=False,
        )
    _backfill()
    op.create_table(
        "identity_blocks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("environment", sa.String(length=4), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("blind_index", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_identity_blocks_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_blocks")),
    )
    op.create_index(
        op.f("ix_identity_blocks_organization_id_environment_kind_blind_index"),
        "identity_blocks",
        ["organization_id", "environment", "kind", "blind_index"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_identity_blocks_organization_id_environment_kind_blind_index"),
        table_name="identity_blocks",
    )
    op.drop_table("identity_blocks")
    for name in SEARCH_COLUMNS:
        op.drop_index(
            op.f(f"ix_customers_organization_id_environment_{name}"), table_name="customers"
        )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        for name in SEARCH_COLUMNS:
            batch_op.drop_column(name)
