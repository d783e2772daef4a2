"""The audit log stays append-only, with one narrow exception: erasing a person (privacy.domain.erase)
may replace their name and email in the text an entry kept of them (`object_repr`, `before`,
`after`), in the transaction that erases them and only once it has said so with
`SET LOCAL iqm.audit_redaction = 'on'`. Who did what, to which object, and when never change, and
no row can be deleted."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND current_setting('iqm.audit_redaction', true) = 'on'
        AND NEW.id = OLD.id
        AND NEW.authority_id = OLD.authority_id
        AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
        AND NEW.action = OLD.action
        AND NEW.object_type = OLD.object_type
        AND NEW.object_id = OLD.object_id
        AND NEW.school_id IS NOT DISTINCT FROM OLD.school_id
        AND NEW.person_id IS NOT DISTINCT FROM OLD.person_id
        AND NEW.created_at = OLD.created_at
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only';
END;
$$ LANGUAGE plpgsql;
"""
BACKWARD = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only';
END;
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]
    operations = [migrations.RunPython(forward, backward)]
