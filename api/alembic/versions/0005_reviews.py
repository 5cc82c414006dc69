"""Reviews: an analyst's corrections stored beside the model's extraction (api.review)

A reviewed version is an extraction_job row with `reviewed_from_job_id` (the model's job it
was corrected from); the `review` row says who, when, the note, the changes and the diff.
Both go with their article (ON DELETE CASCADE).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("extraction_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_from_job_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_extraction_job_reviewed_from_job_id"),
            ["reviewed_from_job_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            "fk_extraction_job_reviewed_from_job_id",
            "extraction_job",
            ["reviewed_from_job_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("base_job_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("diff", sa.JSON(), nullable=False),
        sa.Column("lineage", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["base_job_id"], ["extraction_job.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["job_id"], ["extraction_job.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_base_job_id"), ["base_job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_job_id"), ["job_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_job_id"))
        batch_op.drop_index(batch_op.f("ix_review_base_job_id"))
        batch_op.drop_index(batch_op.f("ix_review_article_id"))
    op.drop_table("review")
    with op.batch_alter_table("extraction_job", schema=None) as batch_op:
        batch_op.drop_constraint("fk_extraction_job_reviewed_from_job_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_extraction_job_reviewed_from_job_id"))
        batch_op.drop_column("reviewed_from_job_id")
