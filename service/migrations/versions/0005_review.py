"""The reviewers' queue: finding codes indexed per check, each flagged check's review, and decisions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    op.create_table(
        "finding_codes",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(["check_id"], ["checks.id"], name=op.f("fk_finding_codes_check_id_checks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("check_id", "code", name=op.f("pk_finding_codes")),
    )
    op.create_index(op.f("ix_finding_codes_code"), "finding_codes", ["code"])
    op.create_table(
        "reviews",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name=op.f("fk_reviews_assignee_id_users")),
        sa.ForeignKeyConstraint(["check_id"], ["checks.id"], name=op.f("fk_reviews_check_id_checks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("check_id", name=op.f("pk_reviews")),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=True),
        sa.Column("authority", sa.Text(), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["check_id"], ["checks.id"], name=op.f("fk_decisions_check_id_checks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_decisions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
    )
    op.create_index(op.f("ix_decisions_check_id"), "decisions", ["check_id"])
    backfill()


def backfill() -> None:
    """Index the finding codes of the checks already done, as `Check` does for every new contract."""
    checks = sa.table("checks", sa.column("id", sa.Integer()), sa.column("result", sa.JSON()))
    codes = sa.table("finding_codes", sa.column("check_id", sa.Integer()), sa.column("code", sa.String()))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(sa.select(checks.c.id, checks.c.result).where(checks.c.id > last)
                                  .order_by(checks.c.id).limit(BATCH)).all()
        if not rows:
            break
        found = [{"check_id": check_id, "code": code} for check_id, result in rows
                 for code in sorted({f["code"] for f in (result or {}).get("findings", [])})]
        if found:
            connection.execute(codes.insert(), found)
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index(op.f("ix_decisions_check_id"), table_name="decisions")
    op.drop_table("decisions")
    op.drop_table("reviews")
    op.drop_index(op.f("ix_finding_codes_code"), table_name="finding_codes")
    op.drop_table("finding_codes")
