"""KYC: checks, hosted-page links, per-organization tier settings; the customer's KYC fields

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _organization(table: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "organization_id",
        sa.Uuid(),
        sa.ForeignKey(
            "organizations.id",
            name=op.f(f"fk_{table}_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        nullable=False,
    )


def upgrade() -> None:
    # Plain ADD COLUMN on both databases (no table rebuild: the search triggers stay).
    op.add_column("customers", sa.Column("kyc_link", sa.String(length=500), nullable=True))
    op.add_column("customers", sa.Column("tos_link", sa.String(length=500), nullable=True))
    op.add_column(
        "customers",
        sa.Column("tos_status", sa.String(length=16), nullable=False, server_default="pending"),
    )
    op.add_column(
        "customers", sa.Column("rejection_reasons", JSON, nullable=False, server_default="[]")
    )

    op.create_table(
        "kyc_checks",
        sa.Column("id", sa.Uuid(), nullable=False),
        _organization("kyc_checks"),
        sa.Column("environment", sa.String(length=4), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("check_type", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kyc_checks")),
    )
    op.create_index(
        op.f("ix_kyc_checks_organization_id_environment_customer_id_id"),
        "kyc_checks",
        ["organization_id", "environment", "customer_id", "id"],
    )
    op.create_table(
        "kyc_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        _organization("kyc_links"),
        sa.Column("environment", sa.String(length=4), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kyc_links")),
    )
    op.create_index(
        op.f("ix_kyc_links_organization_id_environment_customer_id"),
        "kyc_links",
        ["organization_id", "environment", "customer_id"],
    )
    op.create_table(
        "kyc_settings",
        _organization("kyc_settings"),
        sa.Column("environment", sa.String(length=4), nullable=False),
        sa.Column("tiers", JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "environment", name=op.f("pk_kyc_settings")),
    )


def downgrade() -> None:
    op.drop_table("kyc_settings")
    op.drop_table("kyc_links")
    op.drop_table("kyc_checks")
    for column in ("rejection_reasons", "tos_status", "tos_link", "kyc_link"):
        op.drop_column("customers", column)
