"""Checks keep the certificate number they read, indexed with the scheme, to find duplicates.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    op.add_column("checks", sa.Column("number", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_checks_scheme_number"), "checks", ["scheme", "number"])
    backfill()


def backfill() -> None:
    """Checks already done: the number is the contract's (a field read below the threshold is null there)."""
    checks = sa.table("checks", sa.column("id", sa.Integer()), sa.column("state", sa.String()),
                      sa.column("scheme", sa.String()), sa.column("result", sa.JSON()),
                      sa.column("number", sa.String()))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(checks.c.id, checks.c.result)
            .where(checks.c.id > last, checks.c.state == "done", checks.c.scheme.is_not(None))
            .order_by(checks.c.id).limit(BATCH)).all()
        if not rows:
            break
        for check_id, result in rows:
            number = ((result or {}).get("fields") or {}).get("number")
            if number and len(number) <= 64:
                connection.execute(checks.update().where(checks.c.id == check_id).values(number=number))
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("checks") as batch:
        batch.drop_index(batch.f("ix_checks_scheme_number"))
        batch.drop_column("number")
