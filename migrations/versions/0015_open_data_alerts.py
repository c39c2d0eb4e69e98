"""Email alerts (subscribers, what they follow) and extra headers on outbox mail
(List-Unsubscribe, RFC 8058).

Revision ID: 0015
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "alert_subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmations_sent", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_subscribers")),
        sa.UniqueConstraint("email", name=op.f("uq_alert_subscribers_email")),
    )
    with op.batch_alter_table("alert_subscribers", schema=None) as batch_op:
        batch_op.create_index("ix_alert_subscribers_digest", ["last_digest_at", "id"], unique=False)

    op.create_table(
        "alert_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column(
            "target_kind",
            sa.Enum(
                "outfall",
                "water",
                "region",
                "complaint",
                name="targetkind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["alert_subscribers.id"],
            name=op.f("fk_alert_subscriptions_subscriber_id_alert_subscribers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_subscriptions")),
        sa.UniqueConstraint(
            "subscriber_id",
            "target_kind",
            "target_id",
            name=op.f("uq_alert_subscriptions_subscriber_id"),
        ),
    )
    with op.batch_alter_table("alert_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alert_subscriptions_target", ["target_kind", "target_id"], unique=False
        )

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("headers", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("headers")

    with op.batch_alter_table("alert_subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_subscriptions_target")

    op.drop_table("alert_subscriptions")
    with op.batch_alter_table("alert_subscribers", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_subscribers_digest")

    op.drop_table("alert_subscribers")
