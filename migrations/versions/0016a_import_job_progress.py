"""import jobs record how far an apply got: the last sheet row committed and the counts

An apply commits batch by batch together with these columns, so a crash leaves the job
saying how far it got and a rerun resumes from there.

Revision ID: 0016a
Revises: 0013
Create Date: 2026-12-02 10:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016a'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_jobs') as batch:
        batch.add_column(
            sa.Column('applied_rows', sa.Integer(), nullable=False, server_default='0')
        )
        batch.add_column(sa.Column('applied_counts', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_jobs') as batch:
        batch.drop_column('applied_counts')
        batch.drop_column('applied_rows')
