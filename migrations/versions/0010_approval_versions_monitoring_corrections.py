"""approval versions (correct, supersede, revoke) and monitoring corrections

Approvals get a state and a link to the version they replace; monitoring records a lab, a
link to the record they correct and a superseded flag. The one-sample-per-outfall-time-
sampler rule moves from a unique constraint to a unique index over standing rows, so a
correction can keep its original.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-02 04:50:16.291464

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.Enum('current', 'corrected', 'superseded', 'revoked', name='approvalstate', native_enum=False, create_constraint=True, length=16), nullable=False, server_default='current'))
        batch_op.add_column(sa.Column('replaces_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('corrected_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('change_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('revoked_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('revocation_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.create_index('ix_approvals_outfall_state_kind_valid', ['outfall_id', 'state', 'kind', 'valid_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_approvals_replaces_id'), ['replaces_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_approvals_replaces_id_approvals'), 'approvals', ['replaces_id'], ['id'])

    with op.batch_alter_table('monitoring_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lab', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('corrects_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('superseded', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('correction_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.drop_constraint(batch_op.f('uq_monitoring_records_outfall_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_monitoring_records_corrects_id'), ['corrects_id'], unique=False)
        batch_op.create_index('uq_monitoring_records_standing', ['outfall_id', 'sampled_at', 'sampler_kind'], unique=True, sqlite_where=sa.text('NOT superseded'), postgresql_where=sa.text('NOT superseded'))
        batch_op.create_foreign_key(batch_op.f('fk_monitoring_records_corrects_id_monitoring_records'), 'monitoring_records', ['corrects_id'], ['id'])


def downgrade():
    with op.batch_alter_table('monitoring_records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_monitoring_records_corrects_id_monitoring_records'), type_='foreignkey')
        batch_op.drop_index('uq_monitoring_records_standing', sqlite_where=sa.text('NOT superseded'), postgresql_where=sa.text('NOT superseded'))
        batch_op.drop_index(batch_op.f('ix_monitoring_records_corrects_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_monitoring_records_outfall_id'), ['outfall_id', 'sampled_at', 'sampler_kind'])
        batch_op.drop_column('correction_reason')
        batch_op.drop_column('superseded')
        batch_op.drop_column('corrects_id')
        batch_op.drop_column('lab')

    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_approvals_replaces_id_approvals'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_approvals_replaces_id'))
        batch_op.drop_index('ix_approvals_outfall_state_kind_valid')
        batch_op.drop_constraint(batch_op.f('ck_approvals_approvalstate'), type_='check')
        batch_op.drop_column('revocation_reason')
        batch_op.drop_column('revoked_on')
        batch_op.drop_column('change_reason')
        batch_op.drop_column('corrected_on')
        batch_op.drop_column('replaces_id')
        batch_op.drop_column('state')
