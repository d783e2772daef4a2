"""authorities/0004: the reminder lead time in months. An authority on the old default (90 days)
takes the new one (6 months); one that chose its own keeps it, to the nearest month."""

import pytest
from django.core.management import call_command
from django.db import connection


@pytest.mark.django_db(transaction=True)
def test_lead_days_become_months():
    call_command("migrate", "notifications", "0001", verbosity=0)
    call_command("migrate", "authorities", "0003", verbosity=0)
    with connection.cursor() as cursor:
        for slug, days in [("default", 90), ("six-weeks", 45), ("year", 365), ("week", 7)]:
            cursor.execute(
                "INSERT INTO authorities_authority (name, slug, panel_quorum, reminder_lead_days,"
                " upload_limit_mb, portfolio_limit_mb, quality_mark_years,"
                " centre_of_excellence_years, flagship_years, created_at)"
                " VALUES (%s, %s, 3, %s, 20, 500, 3, 1, 1, now())",
                [slug, slug, days],
            )
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT slug, reminder_lead_months FROM authorities_authority ORDER BY slug")
        assert cursor.fetchall() == [("default", 6), ("six-weeks", 1), ("week", 1), ("year", 12)]
