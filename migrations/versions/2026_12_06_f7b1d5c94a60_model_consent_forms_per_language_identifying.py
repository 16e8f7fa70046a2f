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
    pass


def downgrade():
    pass
