"""passkeys

Revision ID: f5b7d9e1a3c6
Revises: e4a6c8f0b2d5
Create Date: 2026-12-07 04:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f5b7d9e1a3c6'
down_revision = 'e4a6c8f0b2d5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('passkeys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.String(length=1400), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('sign_count', sa.Integer(), nullable=False),
    sa.Column('user_handle', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('transports', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_passkeys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passkeys')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_passkeys_credential_id'))
    )
    with op.batch_alter_table('passkeys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passkeys_user_id'), ['user_id'], unique=False)

    op.create_table('used_passkey_challenges',
    sa.Column('challenge_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('challenge_hash', name=op.f('pk_used_passkey_challenges'))
    )
    with op.batch_alter_table('used_passkey_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_passkey_challenges_used_at'), ['used_at'], unique=False)


def downgrade():
    with op.batch_alter_table('used_passkey_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_passkey_challenges_used_at'))

    op.drop_table('used_passkey_challenges')
    with op.batch_alter_table('passkeys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passkeys_user_id'))

    op.drop_table('passkeys')
