"""sanctions screening: watchlists, their entries and aliases; customers' screening columns

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "watchlists",
        sa.Column("list_name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("alias_count", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("list_name", name=op.f("pk_watchlists")),
    )
    op.create_table(
        "watchlist_entries",
        sa.Column("list_name", sa.String(length=32), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("programs", sa.String(length=500), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_name"],
            ["watchlists.list_name"],
            name=op.f("fk_watchlist_entries_list_name_watchlists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_name", "entry_id", name=op.f("pk_watchlist_entries")),
    )
    op.create_table(
        "watchlist_aliases",
        sa.Column("list_name", sa.String(length=32), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("alias_type", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["list_name", "entry_id"],
            ["watchlist_entries.list_name", "watchlist_entries.entry_id"],
            name=op.f("fk_watchlist_aliases_list_name_watchlist_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "list_name", "entry_id", "position", name=op.f("pk_watchlist_aliases")
        ),
    )
    with op.batch_alter_table("customers") as batch:
        batch.add_column(
            sa.Column(
                "screening_status", sa.String(length=20), nullable=False, server_default="clear"
            )
        )
        batch.add_column(sa.Column("screening_hits", JSON, nullable=True))
        batch.add_column(sa.Column("screened_version", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("screened_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        op.f("ix_customers_screened_version"), "customers", ["screened_version"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_customers_screened_version"), table_name="customers")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("screened_at")
        batch.drop_column("screened_version")
        batch.drop_column("screening_hits")
        batch.drop_column("screening_status")
    op.drop_table("watchlist_aliases")
    op.drop_table("watchlist_entries")
    op.drop_table("watchlists")
