"""The sentiment trend's monthly rollup, kept by triggers on the interactions table.

Statement-level triggers with transition tables: a statement that writes a million
interactions (seed_demo, a sync page) updates the rollup once, set-wise, not once per row.
PostgreSQL allows a transition table on a trigger for one event only, hence three triggers on
one function. An UPDATE takes the old rows off and adds the new ones, which covers a changed
sentiment or date as well as interactions moved to the survivor of a merge (and back on undo).
The existing history is rolled up once here. PostgreSQL only: elsewhere the trend is computed
from the interactions (frontline.customers.selectors).
"""

import django.db.models.deletion
from django.db import migrations, models

# One month of one customer's interactions as rollup figures, from a transition table.
MONTHLY = """
    SELECT customer_id,
           date_trunc('month', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month,
           count(*) FILTER (WHERE sentiment = 'positive') AS positive,
           count(*) FILTER (WHERE sentiment = 'neutral') AS neutral,
           count(*) FILTER (WHERE sentiment = 'negative') AS negative,
           coalesce(sum(sentiment_score::numeric(20, 10)), 0) AS score_sum,
           count(sentiment_score) AS scored
    FROM {rows} GROUP BY 1, 2
"""

ADD = """
    INSERT INTO customers_sentimentmonth
        (customer_id, month, positive, neutral, negative, score_sum, scored)
    {monthly}
    ON CONFLICT (customer_id, month) DO UPDATE SET
        positive = customers_sentimentmonth.positive + excluded.positive,
        neutral = customers_sentimentmonth.neutral + excluded.neutral,
        negative = customers_sentimentmonth.negative + excluded.negative,
        score_sum = customers_sentimentmonth.score_sum + excluded.score_sum,
        scored = customers_sentimentmonth.scored + excluded.scored
"""

TAKE_OFF = """
    UPDATE customers_sentimentmonth AS kept SET
        positive = kept.positive - gone.positive,
        neutral = kept.neutral - gone.neutral,
        negative = kept.negative - gone.negative,
        score_sum = kept.score_sum - gone.score_sum,
        scored = kept.scored - gone.scored
    FROM ({monthly}) AS gone
    WHERE kept.customer_id = gone.customer_id AND kept.month = gone.month
"""

CREATE_TRIGGERS = f"""
CREATE FUNCTION customers_sentiment_month_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {TAKE_OFF.format(monthly=MONTHLY.format(rows="old_rows"))};
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        {ADD.format(monthly=MONTHLY.format(rows="new_rows"))};
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER sentiment_month_on_insert AFTER INSERT ON customers_interaction
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION customers_sentiment_month_keep();
CREATE TRIGGER sentiment_month_on_update AFTER UPDATE ON customers_interaction
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION customers_sentiment_month_keep();
CREATE TRIGGER sentiment_month_on_delete AFTER DELETE ON customers_interaction
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION customers_sentiment_month_keep();
{ADD.format(monthly=MONTHLY.format(rows="customers_interaction"))};
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS sentiment_month_on_insert ON customers_interaction;
DROP TRIGGER IF EXISTS sentiment_month_on_update ON customers_interaction;
DROP TRIGGER IF EXISTS sentiment_month_on_delete ON customers_interaction;
DROP FUNCTION IF EXISTS customers_sentiment_month_keep();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_TRIGGERS)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_timeline_index_with_tiebreak"),
    ]

    operations = [
        migrations.CreateModel(
            name="SentimentMonth",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "month",
                    models.DateTimeField(help_text="Midnight UTC on the first day of the month"),
                ),
                ("positive", models.IntegerField(default=0)),
                ("neutral", models.IntegerField(default=0)),
                ("negative", models.IntegerField(default=0)),
                ("score_sum", models.DecimalField(decimal_places=10, default=0, max_digits=20)),
                (
                    "scored",
                    models.IntegerField(default=0, help_text="Interactions with a sentiment score"),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="customers.customer",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("customer", "month"), name="sentiment_month_per_customer"
                    )
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
