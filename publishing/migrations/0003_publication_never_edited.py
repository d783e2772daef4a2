from django.db import migrations

# A publication is never edited: the only change PostgreSQL lets through is the one that supersedes
# it (superseded_at set, once, with every other column as it was). Deleting stays possible, for
# throwaway data such as the directory benchmark's; the foreign keys protect real publications.
FORWARD = """
CREATE FUNCTION publication_never_edited() RETURNS trigger AS $$
BEGIN
    IF OLD.superseded_at IS NULL AND NEW.superseded_at IS NOT NULL
       AND (NEW.id, NEW.authority_id, NEW.version, NEW.published_at, NEW.published_by_id, NEW.content)
           IS NOT DISTINCT FROM (OLD.id, OLD.authority_id, OLD.version, OLD.published_at, OLD.published_by_id, OLD.content)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'a publication is never edited: publish a new version';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER publication_never_edited BEFORE UPDATE ON publishing_publication
    FOR EACH ROW EXECUTE FUNCTION publication_never_edited();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS publication_never_edited ON publishing_publication;
DROP FUNCTION IF EXISTS publication_never_edited();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("publishing", "0002_directory_indexes")]
    operations = [migrations.RunPython(forward, backward)]
