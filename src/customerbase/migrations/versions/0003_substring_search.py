"""substring search: a folded search_text per customer, with a trigram index (pg_trgm on
PostgreSQL, FTS5's trigram tokenizer on SQLite)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Names outside the models (see customerbase.migrations.include_object).
PG_INDEX = "ix_customers_organization_id_environment_search_text"
FTS = "customers_search_fts"


def _backfill() -> None:
    from customerbase.customers.search import search_text_of

    bind = op.get_bind()
    customers = sa.table(
        "customers",
        sa.column("organization_id", sa.Uuid()),
        sa.column("id", sa.Uuid()),
        sa.column("first_name", sa.String()),
        sa.column("middle_name", sa.String()),
        sa.column("last_name", sa.String()),
        sa.column("company_name", sa.String()),
        sa.column("email", sa.String()),
        sa.column("reference", sa.String()),
        sa.column("search_text", sa.String()),
    )
    rows = bind.execute(sa.select(customers)).all()
    for row in rows:
        value = search_text_of(
            first_name=row.first_name,
            middle_name=row.middle_name,
            last_name=row.last_name,
            company_name=row.company_name,
            email=row.email,
            reference=row.reference,
        )
        bind.execute(
            customers.update()
            .where(customers.c.organization_id == row.organization_id, customers.c.id == row.id)
            .values(search_text=value)
        )


def upgrade() -> None:
    text_type = sa.String(1000).with_variant(sa.String(1000, collation="C"), "postgresql")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", text_type, nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # Trusted extensions since PostgreSQL 13: the database owner may create them.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        op.execute(
            f"CREATE INDEX {PG_INDEX} ON customers USING gin "
            "(organization_id, environment, search_text gin_trgm_ops)"
        )
    else:
        op.execute(
            f"CREATE VIRTUAL TABLE {FTS} USING fts5(search_text, content='customers',"
            " content_rowid='rowid', tokenize='trigram')"
        )
        op.execute(
            f"CREATE TRIGGER {FTS}_insert AFTER INSERT ON customers BEGIN"
            f" INSERT INTO {FTS}(rowid, search_text) VALUES (new.rowid, new.search_text); END"
        )
        op.execute(
            f"CREATE TRIGGER {FTS}_delete AFTER DELETE ON customers BEGIN"
            f" INSERT INTO {FTS}({FTS}, rowid, search_text)"
            " VALUES ('delete', old.rowid, old.search_text); END"
        )
        op.execute(
            f"CREATE TRIGGER {FTS}_update AFTER UPDATE OF search_text ON customers BEGIN"
            f" INSERT INTO {FTS}({FTS}, rowid, search_text)"
            " VALUES ('delete', old.rowid, old.search_text);"
            f" INSERT INTO {FTS}(rowid, search_text) VALUES (new.rowid, new.search_text); END"
        )
    _backfill()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {FTS}_{trigger}")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("search_text")
