"""No two confirmed sessions of one stylist may overlap, buffers included: enforced by PostgreSQL.

An exclusion constraint on ``(stylist_id WITH =, tstzrange(starts_at, blocks_until) WITH &&)``
over confirmed bookings. Chosen over a unique key per slot plus ``select_for_update``: slots are
not a fixed grid here (services last 45 or 90 minutes, buffers differ by stylist, a reschedule
may land between grid points), so only a range test says whether two sessions collide, and
the database can make that test itself, atomically, for every writer including the admin and
any future import. Concurrent inserts of overlapping ranges wait for each other and all but
the first fail with an exclusion violation, which the service turns into "just taken".

``btree_gist`` provides the ``=`` operator class for the integer column inside a GiST index.
SQLite has none of this: there the service's check-then-insert runs inside a transaction that
holds SQLite's single write lock from its start (``transaction_mode = IMMEDIATE``), which
serialises bookings just as well at SQLite's scale.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CONSTRAINT = "booking_no_overlap_per_stylist"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE appointments_booking ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
        "(stylist_id WITH =, tstzrange(starts_at, blocks_until, '[)') WITH &&) "
        "WHERE (status = 'confirmed')"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE appointments_booking DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_constraint, drop_constraint, elidable=False),
    ]
