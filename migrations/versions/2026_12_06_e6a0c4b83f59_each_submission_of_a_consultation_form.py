"""each submission of a consultation form is kept as a version

Revision ID: e6a0c4b83f59
Revises: d5f9b3a72e48
Create Date: 2026-12-06 21:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e6a0c4b83f59'
down_revision = 'd5f9b3a72e48'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
