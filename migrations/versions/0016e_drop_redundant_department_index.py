"""outfalls: drop the index on supervising_department_id alone

ix_outfalls_department_code (supervising_department_id, code) serves every lookup it
served, the foreign key's included; each index costs every insert (an import of 100k rows).

Revision ID: 0016e
Revises: 0016d
Create Date: 2026-12-03 16:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016e'
down_revision = '0016d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outfalls') as batch_op:
        batch_op.drop_index('ix_outfalls_supervising_department_id')


def downgrade():
    with op.batch_alter_table('outfalls') as batch_op:
        batch_op.create_index(
            'ix_outfalls_supervising_department_id', ['supervising_department_id'], unique=False
        )
