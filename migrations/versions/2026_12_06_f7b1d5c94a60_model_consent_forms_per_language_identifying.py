"""model consent forms per language; identifying data erased on request

Revision ID: f7b1d5c94a60
Revises: e6a0c4b83f59
Create Date: 2026-12-06 21:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f7b1d5c94a60'
down_revision = 'e6a0c4b83f59'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'consent_forms',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ern_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('file_name', sa.String(length=200), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['ern_id'], ['erns.id'], name=op.f('fk_consent_forms_ern_id_erns'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_consent_forms_uploaded_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_forms')),
        sa.UniqueConstraint('ern_id', 'language', name=op.f('uq_consent_forms_ern_id')),
    )
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identifying_erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('identifying_erased_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('identifying_erasure_reason', sa.String(length=1000), nullable=False, server_default=''))
        batch_op.create_foreign_key(
            'fk_patients_identifying_erased_by_id_users', 'users', ['identifying_erased_by_id'], ['id'], ondelete='SET NULL'
        )


def downgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_constraint('fk_patients_identifying_erased_by_id_users', type_='foreignkey')
        batch_op.drop_column('identifying_erasure_reason')
        batch_op.drop_column('identifying_erased_by_id')
        batch_op.drop_column('identifying_erased_at')
    op.drop_table('consent_forms')
