"""Districts and using units, the unit of each check and batch, operator ledgers, and report figures entered by hand.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UNIT_TABLES = ("checks", "batches")


def upgrade() -> None:
    op.create_table(
        "districts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_districts")),
        sa.UniqueConstraint("name", name=op.f("uq_districts_name")),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name=op.f("fk_units_district_id_districts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
    )
    op.create_index(op.f("ix_units_district_id_name"), "units", ["district_id", "name"], unique=True)
    for table in UNIT_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(batch.f(f"fk_{table}_unit_id_units"), "units", ["unit_id"], ["id"])
    op.create_index(op.f("ix_checks_unit_id_created_at"), "checks", ["unit_id", "created_at"])
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("post", sa.String(length=50), nullable=False),
        sa.Column("scheme", sa.String(length=50), nullable=True),
        sa.Column("number", sa.String(length=64), nullable=True),
        sa.Column("item", sa.String(length=100), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_ledger_entries_unit_id_units"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(op.f("ix_ledger_entries_unit_id_seq"), "ledger_entries", ["unit_id", "seq"])
    op.create_index(op.f("ix_ledger_entries_scheme_number"), "ledger_entries", ["scheme", "number"])
    op.create_table(
        "report_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=10), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("field", sa.String(length=30), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("entered_by", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"],
                                name=op.f("fk_report_figures_district_id_districts")),
        sa.ForeignKeyConstraint(["entered_by"], ["users.id"], name=op.f("fk_report_figures_entered_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_figures")),
    )
    op.create_index(op.f("ix_report_figures_form_month_district_id_field"), "report_figures",
                    ["form", "month", "district_id", "field"], unique=True)


def downgrade() -> None:
    op.drop_table("report_figures")  # its indexes go with it
    op.drop_table("ledger_entries")
    op.drop_index(op.f("ix_checks_unit_id_created_at"), table_name="checks")
    for table in UNIT_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(batch.f(f"fk_{table}_unit_id_units"), type_="foreignkey")
            batch.drop_column("unit_id")
    op.drop_table("units")
    op.drop_table("districts")
