"""following and notifications: follows, reminders, opt-outs, the notification queue,
password resets

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 18:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

NOW = sa.DateTime(timezone=True)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}")
    )


def upgrade() -> None:
    op.create_table(
        "follows",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        _fk("follows", "user_id", "users"),
        _fk("follows", "host_id", "users"),
        sa.PrimaryKeyConstraint("user_id", "host_id", name=op.f("pk_follows")),
    )
    op.create_index(op.f("ix_follows_host_id"), "follows", ["host_id"], unique=False)
    op.create_table(
        "show_reminders",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        _fk("show_reminders", "user_id", "users"),
        _fk("show_reminders", "stream_id", "streams"),
        sa.PrimaryKeyConstraint("user_id", "stream_id", name=op.f("pk_show_reminders")),
    )
    op.create_index(
        op.f("ix_show_reminders_stream_id"), "show_reminders", ["stream_id"], unique=False
    )
    op.create_table(
        "email_opt_outs",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        _fk("email_opt_outs", "user_id", "users"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_email_opt_outs")),
    )
    op.create_table(
        "show_announcements",
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("recipients", sa.Integer(), server_default="0", nullable=False),
        _fk("show_announcements", "stream_id", "streams"),
        sa.PrimaryKeyConstraint("stream_id", "kind", name=op.f("pk_show_announcements")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("stream_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=2000), server_default="", nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("due_at", NOW, nullable=False),
        sa.Column("last_error", sa.String(length=500), server_default="", nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("sent_at", NOW, nullable=True),
        _fk("notifications", "user_id", "users"),
        _fk("notifications", "stream_id", "streams"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(op.f("ix_notifications_user_id"), "notifications", ["user_id"], unique=False)
    op.create_index(op.f("ix_notifications_due_at"), "notifications", ["due_at"], unique=False)
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("expires_at", NOW, nullable=False),
        sa.Column("used_at", NOW, nullable=True),
        _fk("password_resets", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    op.create_index(
        op.f("ix_password_resets_user_id"), "password_resets", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_password_resets_user_id"), table_name="password_resets")
    op.drop_table("password_resets")
    op.drop_index(op.f("ix_notifications_due_at"), table_name="notifications")
    op.drop_index(op.f("ix_notifications_user_id"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("show_announcements")
    op.drop_table("email_opt_outs")
    op.drop_index(op.f("ix_show_reminders_stream_id"), table_name="show_reminders")
    op.drop_table("show_reminders")
    op.drop_index(op.f("ix_follows_host_id"), table_name="follows")
    op.drop_table("follows")
