"""clip review: coach role, clips, timed comments and replies

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 15:20:00.000000

The coach role needs no change of schema: `users.role` is a string the domain checks.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}")
    )


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _index(table: str, column: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        _time("created_at"),
        _fk("reviews", "stream_id", "streams"),
        _fk("reviews", "recording_id", "recordings"),
        _fk("reviews", "author_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    _index("reviews", "stream_id")
    op.create_table(
        "review_clips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        _time("created_at"),
        _fk("review_clips", "review_id", "reviews"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_clips")),
    )
    _index("review_clips", "review_id")
    op.create_table(
        "review_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("offset_ms", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        _time("created_at"),
        _time("read_at", nullable=True),
        _fk("review_comments", "review_id", "reviews"),
        _fk("review_comments", "author_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_comments")),
    )
    _index("review_comments", "review_id")
    op.create_table(
        "review_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _time("created_at"),
        _fk("review_replies", "comment_id", "review_comments"),
        _fk("review_replies", "author_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_replies")),
    )
    _index("review_replies", "comment_id")


def downgrade() -> None:
    for table, column in (
        ("review_replies", "comment_id"),
        ("review_comments", "review_id"),
        ("review_clips", "review_id"),
        ("reviews", "stream_id"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
        op.drop_table(table)
