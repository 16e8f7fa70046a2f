"""expertise

Revision ID: a7c9e1f3b5d8
Revises: f5b7d9e1a3c6
Create Date: 2026-12-07 04:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c9e1f3b5d8'
down_revision = 'f5b7d9e1a3c6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('declared_expertise',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=8), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_declared_expertise_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declared_expertise')),
    sa.UniqueConstraint('user_id', 'system', 'code', name=op.f('uq_declared_expertise_user_id'))
    )
    with op.batch_alter_table('declared_expertise', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declared_expertise_user_id'), ['user_id'], unique=False)

    op.create_table('hidden_learned_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=8), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_hidden_learned_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hidden_learned_codes')),
    sa.UniqueConstraint('user_id', 'system', 'code', name=op.f('uq_hidden_learned_codes_user_id'))
    )
    with op.batch_alter_table('hidden_learned_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hidden_learned_codes_user_id'), ['user_id'], unique=False)

    op.create_table('consultation_languages',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_consultation_languages_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'language', name=op.f('pk_consultation_languages'))
    )
    with op.batch_alter_table('ern_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('own_country_order', sa.String(length=10), server_default='neutral', nullable=False))


def downgrade():
    with op.batch_alter_table('ern_settings', schema=None) as batch_op:
        batch_op.drop_column('own_country_order')

    op.drop_table('consultation_languages')
    with op.batch_alter_table('hidden_learned_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hidden_learned_codes_user_id'))

    op.drop_table('hidden_learned_codes')
    with op.batch_alter_table('declared_expertise', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declared_expertise_user_id'))

    op.drop_table('declared_expertise')
