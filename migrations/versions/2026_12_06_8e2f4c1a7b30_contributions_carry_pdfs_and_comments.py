"""contributions carry PDFs (documents.contribution_id) and members' comments (contribution_comments)

Revision ID: 8e2f4c1a7b30
Revises: 4d951e1fce47
Create Date: 2026-12-06 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e2f4c1a7b30'
down_revision = '4d951e1fce47'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contribution_comments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contribution_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['contribution_id'], ['contributions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('contribution_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contribution_comments_contribution_id'), ['contribution_id'], unique=False)
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contribution_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_documents_contribution_id'), ['contribution_id'], unique=False)
        batch_op.create_foreign_key('fk_documents_contribution_id_contributions', 'contributions', ['contribution_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint('fk_documents_contribution_id_contributions', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_documents_contribution_id'))
        batch_op.drop_column('contribution_id')
    with op.batch_alter_table('contribution_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contribution_comments_contribution_id'))
    op.drop_table('contribution_comments')
