"""onboarding: the full profile on customers, the people of a business, the consent ledger

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-01 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

_CUSTOMER_COLUMNS = (
    ("place_of_birth", sa.String(length=100)),
    ("educational_qualification", sa.String(length=100)),
    ("customer_category", sa.String(length=100)),
    ("onboarding_type", sa.String(length=16)),
    ("partner_date_registered", sa.String(length=10)),
    ("photo_url", sa.String(length=2048)),
    ("tin_encrypted", sa.LargeBinary()),
    ("tin_index", sa.String(length=64)),
    ("tin_last4", sa.String(length=4)),
    ("next_of_kin", JSON),
    ("bank_account", JSON),
    ("bank_account_number_encrypted", sa.LargeBinary()),
    ("bank_account_number_last4", sa.String(length=4)),
    ("business_registration_number", sa.String(length=50)),
    ("business_registration_date", sa.String(length=10)),
    ("industry", sa.String(length=100)),
    ("website", sa.String(length=2048)),
    ("operating_address", JSON),
    ("consents", JSON),
)


def _tenant_child(table: str) -> list[sa.Column | sa.Constraint]:  # type: ignore[type-arg]
    return [
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("environment", sa.String(length=4), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "id", name=op.f(f"pk_{table}")),
        sa.ForeignKeyConstraint(
            ["organization_id", "customer_id"],
            ["customers.organization_id", "customers.id"],
            name=op.f(f"fk_{table}_organization_id_customers"),
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    for name, kind in _CUSTOMER_COLUMNS:
        op.add_column("customers", sa.Column(name, kind, nullable=True))
    op.add_column(
        "customers",
        sa.Column("identifiers_blocked", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index(
        op.f("ix_customers_organization_id_environment_tin_index"),
        "customers",
        ["organization_id", "environment", "tin_index"],
        unique=True,
    )

    op.create_table(
        "customer_people",
        *_tenant_child("customer_people"),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("middle_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone_number", sa.String(length=20), nullable=True),
        sa.Column("gender", sa.String(length=16), nullable=True),
        sa.Column("date_of_birth_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("nationality", sa.String(length=2), nullable=True),
        sa.Column("address", JSON, nullable=True),
        sa.Column("identity_type", sa.String(length=32), nullable=True),
        sa.Column("identity_number_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("identity_number_last4", sa.String(length=4), nullable=True),
        sa.Column("tin_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("tin_last4", sa.String(length=4), nullable=True),
        sa.Column("educational_qualification", sa.String(length=100), nullable=True),
        sa.Column("person_types", JSON, nullable=False),
        sa.Column("ownership_basis_points", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        op.f("ix_customer_people_organization_id_environment_customer_id_id"),
        "customer_people",
        ["organization_id", "environment", "customer_id", "id"],
    )

    op.create_table(
        "customer_consents",
        *_tenant_child("customer_consents"),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        op.f("ix_customer_consents_organization_id_environment_customer_id_id"),
        "customer_consents",
        ["organization_id", "environment", "customer_id", "id"],
    )


def downgrade() -> None:
    op.drop_table("customer_consents")
    op.drop_table("customer_people")
    op.drop_index(op.f("ix_customers_organization_id_environment_tin_index"), "customers")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("identifiers_blocked")
        for name, _ in reversed(_CUSTOMER_COLUMNS):
            batch_op.drop_column(name)
