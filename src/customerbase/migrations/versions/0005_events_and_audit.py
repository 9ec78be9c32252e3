"""events (the event log and outbox) and audit entries (append-only)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
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


def upgrade() -> None:
    op.create_table(
        "events",
        *_tenant_columns("events"),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("api_version", sa.String(length=16), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    for columns in (
        ["organization_id", "environment", "id"],
        ["organization_id", "environment", "customer_id", "id"],
        ["organization_id", "environment", "type", "id"],
    ):
        op.create_index(op.f(f"ix_events_{'_'.join(columns)}"), "events", columns)

    op.create_table(
        "audit_entries",
        *_tenant_columns("audit_entries"),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=100), nullable=True),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("changes", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index(
        op.f("ix_audit_entries_organization_id_environment_customer_id_id"),
        "audit_entries",
        ["organization_id", "environment", "customer_id", "id"],
    )

    # The trail is append-only in the database itself, whatever code runs against it.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN RAISE EXCEPTION 'audit_entries is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries"
            " FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_entries_no_{verb.lower()} BEFORE {verb} ON audit_entries"
                " BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS audit_entries_append_only()")
    op.drop_table("audit_entries")
    op.drop_table("events")
