"""import jobs keep the language of the member of staff who started them

The job runs outside the request; its report messages are written in this language, so
a page read in English is not answered in Chinese.

Revision ID: 0016d
Revises: 0016c
Create Date: 2026-12-03 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016d'
down_revision = '0016c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_jobs') as batch:
        batch.add_column(sa.Column('locale', sa.String(8), nullable=False, server_default='zh'))


def downgrade():
    with op.batch_alter_table('import_jobs') as batch:
        batch.drop_column('locale')
