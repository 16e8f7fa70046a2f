"""an ERN may choose the Clean Descriptors option (off: descriptions and comments are removed, as the basic profile says)

Revision ID: 5d1c7e0a9b21
Revises: 731004cd4ebc
Create Date: 2026-12-06 12:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d1c7e0a9b21'
down_revision = '731004cd4ebc'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (no batch copy of the table): ern_settings has no trigger to lose, and none is needed.
    op.add_column('ern_settings', sa.Column('clean_descriptors', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('ern_settings', schema=None) as batch_op:
        batch_op.drop_column('clean_descriptors')
