"""organizations, api keys and customers

Revision ID: 0001
Revises:
Create Date: 2026-11-21 06:05:15.668417
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("environment", sa.String(length=4), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_api_keys_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_index(
        op.f("ix_api_keys_organization_id_environment"),
        "api_keys",
        ["organization_id", "environment"],
        unique=False,
    )
    op.create_table(
        "customers",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("environment", sa.String(length=4), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("customer_type", sa.String(length=16), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("middle_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("company_name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone_number", sa.String(length=20), nullable=True),
        sa.Column("dial_code", sa.String(length=8), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("date_of_birth_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("gender", sa.String(length=16), nullable=True),
        sa.Column(
            "address",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("bvn_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("bvn_index", sa.String(length=64), nullable=True),
        sa.Column("bvn_last4", sa.String(length=4), nullable=True),
        sa.Column("nin_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("nin_index", sa.String(length=64), nullable=True),
        sa.Column("nin_last4", sa.String(length=4), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("blacklisted", sa.Boolean(), nullable=False),
        sa.Column("blacklist_reason", sa.String(length=500), nullable=True),
        sa.Column("kyc_tier", sa.Integer(), nullable=False),
        sa.Column("kyc_status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("blacklisted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_customers_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", "id", name=op.f("pk_customers")),
    )
    op.create_index(
        op.f("ix_customers_organization_id_environment_bvn_index"),
        "customers",
        ["organization_id", "environment", "bvn_index"],
        unique=True,
    )
    op.create_index(
        op.f("ix_customers_organization_id_environment_created_at"),
        "customers",
        ["organization_id", "environment", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_customers_organization_id_environment_email"),
        "customers",
        ["organization_id", "environment", "email"],
        unique=True,
    )
    op.create_index(
        op.f("ix_customers_organization_id_environment_id"),
        "customers",
        ["organization_id", "environment", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_customers_organization_id_environment_nin_index"),
        "customers",
        ["organization_id", "environment", "nin_index"],
        unique=True,
    )
    op.create_index(
        op.f("ix_customers_organization_id_environment_phone_number"),
        "customers",
        ["organization_id", "environment", "phone_number"],
        unique=False,
    )
    op.create_index(
        op.f("ix_customers_organization_id_environment_reference"),
        "customers",
        ["organization_id", "environment", "reference"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_customers_organization_id_environment_reference"), table_name="customers"
    )
    op.drop_index(
        op.f("ix_customers_organization_id_environment_phone_number"), table_name="customers"
    )
    op.drop_index(
        op.f("ix_customers_organization_id_environment_nin_index"), table_name="customers"
    )
    op.drop_index(op.f("ix_customers_organization_id_environment_id"), table_name="customers")
    op.drop_index(op.f("ix_customers_organization_id_environment_email"), table_name="customers")
    op.drop_index(
        op.f("ix_customers_organization_id_environment_created_at"), table_name="customers"
    )
    op.drop_index(
        op.f("ix_customers_organization_id_environment_bvn_index"), table_name="customers"
    )
    op.drop_table("customers")
    op.drop_index(op.f("ix_api_keys_organization_id_environment"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("organizations")
