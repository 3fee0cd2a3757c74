"""one community name: the mail settings' own name becomes the site's name (site.name), no schema change

The mail settings page no longer offers a second name; mails use the site's name
(community/site/branding.py). A name an admin had set for mails is carried over into `site.name`
unless the site has a name already. The column `mail_settings.community_name` stays (unused) so a
downgrade loses nothing.

Revision ID: 0017_a3
Revises: 0016_settings
Create Date: 2026-12-04 18:00:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0017_a3'
down_revision = '0017_a6'
branch_labels = None
depends_on = None

site_settings = sa.table('site_settings', sa.column('key', sa.String), sa.column('value', sa.JSON),
                         sa.column('updated_at', sa.DateTime(timezone=True)))
mail_settings = sa.table('mail_settings', sa.column('id', sa.Integer), sa.column('community_name', sa.String))


def upgrade():
    conn = op.get_bind()
    name = conn.execute(sa.select(mail_settings.c.community_name).where(mail_settings.c.id == 1)).scalar()
    name = " ".join((name or "").split())
    if not name:
        return
    taken = conn.execute(sa.select(site_settings.c.key).where(site_settings.c.key == 'site.name')).scalar()
    if taken is None:
        conn.execute(site_settings.insert().values(key='site.name', value=name,
                                                   updated_at=datetime.now(UTC)))


def downgrade():
    pass  # the mail settings kept their name: nothing to restore
