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
    pass


def downgrade():
    pass
