"""mail is retried with back-off and kept as undeliverable at last; ERN intervals in hours

Revision ID: a9d3e5f7c102
Revises: f7b1d5c94a60
Create Date: 2026-12-06 22:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9d3e5f7c102'
down_revision = 'f7b1d5c94a60'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
