"""The team board's tally, kept by statement-level triggers on the follow-ups table.

As for the sentiment rollup (customers 0008): transition tables, so a statement that writes
10,000 follow-ups (a bulk assignment) updates the tally once, set-wise. An UPDATE takes the old
rows off and adds the new ones (a completion moves a follow-up from "open, due Tuesday" to
"done Wednesday, reached"). The existing follow-ups are tallied once here. PostgreSQL only:
elsewhere the board counts the follow-ups (frontline.followups.selectors).
"""

from django.db import migrations

# The outcomes in which the customer was spoken to, as frontline.followups.models lists them
# (REACHED_OUTCOMES) when this migration was written.
REACHED = "'reached', 'appointment_booked', 'purchase', 'not_interested'"

# The tally's key for each follow-up; cancelled ones are not counted.
TALLIED = """
    SELECT store_id, assignee_id,
           CASE WHEN status IN ('open', 'snoozed') THEN due_on ELSE DATE '1970-01-01' END
               AS due_on,
           CASE WHEN status = 'done' THEN coalesce(completed_on, DATE '1970-01-01')
               ELSE DATE '1970-01-01' END AS completed_on,
           status,
           status = 'done' AND outcome IN ({reached}) AS reached,
           status = 'done' AND purchased_after AS purchased_after,
           count(*) AS count,
           coalesce(sum(days_late) FILTER (WHERE status = 'done'), 0) AS days_late_sum
    FROM {rows} WHERE status <> 'cancelled' GROUP BY 1, 2, 3, 4, 5, 6, 7
""".replace("{reached}", REACHED)
KEY = "store_id, assignee_id, due_on, completed_on, status, reached, purchased_after"

ADD = f"""
    INSERT INTO followups_followuptally ({KEY}, count, days_late_sum)
    SELECT store_id, assignee_id, due_on, completed_on, status, reached, purchased_after,
           count, days_late_sum FROM ({{tallied}}) AS added
    ON CONFLICT ({KEY}) DO UPDATE SET
        count = followups_followuptally.count + excluded.count,
        days_late_sum = followups_followuptally.days_late_sum + excluded.days_late_sum
"""

TAKE_OFF = """
    UPDATE followups_followuptally AS kept SET
        count = kept.count - gone.count,
        days_late_sum = kept.days_late_sum - gone.days_late_sum
    FROM ({tallied}) AS gone
    WHERE kept.store_id = gone.store_id AND kept.assignee_id = gone.assignee_id
      AND kept.due_on = gone.due_on AND kept.completed_on = gone.completed_on
      AND kept.status = gone.status AND kept.reached = gone.reached
      AND kept.purchased_after = gone.purchased_after
"""

CREATE_TRIGGERS = f"""
CREATE FUNCTION followups_tally_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {TAKE_OFF.format(tallied=TALLIED.format(rows="old_rows"))};
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        {ADD.format(tallied=TALLIED.format(rows="new_rows"))};
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER followups_tally_on_insert AFTER INSERT ON followups_followup
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followups_tally_keep();
CREATE TRIGGER followups_tally_on_update AFTER UPDATE ON followups_followup
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followups_tally_keep();
CREATE TRIGGER followups_tally_on_delete AFTER DELETE ON followups_followup
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followups_tally_keep();
{ADD.format(tallied=TALLIED.format(rows="followups_followup"))};
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS followups_tally_on_insert ON followups_followup;
DROP TRIGGER IF EXISTS followups_tally_on_update ON followups_followup;
DROP TRIGGER IF EXISTS followups_tally_on_delete ON followups_followup;
DROP FUNCTION IF EXISTS followups_tally_keep();
DELETE FROM followups_followuptally;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_TRIGGERS)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0003_done_day_purchases_and_tally"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
