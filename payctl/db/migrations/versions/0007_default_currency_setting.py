"""The database's default currency becomes a setting (``currency``), which `payctl init` writes.

Until 0007 the code assumed EUR wherever a currency was not given (init's journals, an invoice
without a currency, a new journal, the exports' operating currency). An existing database
records the currency of its first journal: the one `init` created, whose currency is the one
its journals and records were made in. A database without journals (never seeded) records
nothing: `init` writes the setting when it seeds.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.Text))
_journals = sa.table("journals", sa.column("id", sa.Integer), sa.column("currency", sa.String))
KEY = "currency"


def upgrade() -> None:
    bind = op.get_bind()
    first = bind.execute(
        sa.select(_journals.c.currency).order_by(_journals.c.id).limit(1)
    ).scalar()
    recorded = bind.execute(sa.select(_settings.c.value).where(_settings.c.key == KEY)).scalar()
    if first is not None and recorded is None:
        bind.execute(sa.insert(_settings).values(key=KEY, value=first.strip().upper()))


def downgrade() -> None:
    op.get_bind().execute(sa.delete(_settings).where(_settings.c.key == KEY))
