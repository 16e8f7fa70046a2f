"""patient records keep a history of changes, consent changes and transfers

Revision ID: c4e8a2f61d37
Revises: b7c3d9e1f250
Create Date: 2026-12-06 21:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e8a2f61d37'
down_revision = 'b7c3d9e1f250'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('patient_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_patient_changes_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_changes_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_changes'))
    )
    with op.batch_alter_table('patient_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_changes_patient_id'), ['patient_id'], unique=False)

    op.create_table('patient_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('from_centre_id', sa.Integer(), nullable=False),
    sa.Column('to_centre_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.Enum('requested', 'accepted', 'declined', name='transferstatus', native_enum=False, length=20), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.String(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_patient_transfers_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['from_centre_id'], ['centres.id'], name=op.f('fk_patient_transfers_from_centre_id_centres')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_transfers_patient_id_patients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_patient_transfers_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['to_centre_id'], ['centres.id'], name=op.f('fk_patient_transfers_to_centre_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_transfers'))
    )
    with op.batch_alter_table('patient_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_transfers_patient_id'), ['patient_id'], unique=False)


def downgrade():
    op.drop_table('patient_transfers')
    op.drop_table('patient_changes')
