"""Writing many rows at once on PostgreSQL, under the application's own role and its row-level
security (authorities/rls.py), for the scale data (iqm_portal/scale.py).

PostgreSQL refuses `COPY … FROM` into a table with row-level security, so each table's rows are
copied into a temporary table of the same columns, then moved across with one
`INSERT … SELECT`, which the table's policy checks as it checks any insert. Ids are taken from
each table's own sequence beforehand, so rows can name each other before any is written; the
foreign keys are checked when the transaction commits (Django makes them deferrable).
"""

import io
import json

from django.db import connection, models

MOST_IDS_AT_ONCE = 10_000
NULL = "\\N"
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _string(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(ESCAPES)
    return value


def _json(value) -> str:
    return _string(json.dumps(value, ensure_ascii=False))


def _boolean(value: bool) -> str:
    return "t" if value else "f"


def _isoformat(value) -> str:
    return value.isoformat()


def _converter(field):
    """How the field's values are written in COPY's text format."""
    if isinstance(field, models.JSONField):
        return _json
    if isinstance(field, models.BooleanField):
        return _boolean
    if isinstance(field, models.DateField):  # and DateTimeField
        return _isoformat
    if isinstance(field, (models.CharField, models.TextField, models.FileField)):
        return _string
    return str  # numbers, keys, UUIDs


class _Table:
    def __init__(self, model):
        meta = model._meta
        self.model = model
        self.name = meta.db_table
        self.fields = list(meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.converters = [(f.attname, _converter(f)) for f in self.fields]
        self.names = frozenset(f.attname for f in self.fields)
        self.rows: list[str] = []
        self.ids: list[int] = []
        self.sequence = ""
        self.block = 100  # ids taken from the sequence at once, growing with the table

    def line(self, values: dict) -> str:
        if not values.keys() <= self.names:
            raise ValueError(f"{self.name} has no field {', '.join(values.keys() - self.names)}")
        cells = []
        for name, convert in self.converters:
            value = values[name] if name in values else self._missing(name)
            cells.append(NULL if value is None else convert(value))
        return "\t".join(cells)

    def _missing(self, name):
        """A field left out: its default, or NULL, or "" for a text field that may be blank."""
        field = self.model._meta.get_field(name)
        if field.has_default():
            return field.get_default()
        if field.null:
            return None
        if field.blank and field.empty_strings_allowed:
            return ""
        raise ValueError(f"{self.name}: no value for {name}")


class BulkWriter:
    """Buffers rows per table and writes them with COPY. `add` returns the row's id; `flush`
    writes every buffered row (call it before the transaction ends)."""

    def __init__(self, rows_per_copy=50_000):
        self.rows_per_copy = rows_per_copy
        self.tables: dict = {}
        self.written: dict = {}

    def _table(self, model) -> _Table:
        table = self.tables.get(model)
        if table is None:
            table = self.tables[model] = _Table(model)
        return table

    def new_id(self, model) -> int:
        table = self._table(model)
        if not table.ids:
            with connection.cursor() as cursor:
                if not table.sequence:
                    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table.name])
                    table.sequence = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s) ORDER BY 1",
                    [table.sequence, table.block],
                )
                table.ids = [row[0] for row in cursor.fetchall()][::-1]
            table.block = min(table.block * 10, MOST_IDS_AT_ONCE)
        return table.ids.pop()

    def add(self, model, **values) -> int:
        """Buffer a row (fields by attname: `school_id`, not `school`); missing fields take their
        default, or NULL. Returns its id."""
        table = self._table(model)
        if "id" not in values:
            values["id"] = self.new_id(model)
        pk = values["id"]
        table.rows.append(table.line(values))
        if len(table.rows) >= self.rows_per_copy:
            self._write(table)
        return pk

    def flush(self):
        for table in self.tables.values():
            self._write(table)

    def _write(self, table: _Table):
        if not table.rows:
            return
        stage = f"bulk_stage_{table.name}"
        columns = ", ".join(f'"{column}"' for column in table.columns)
        data = io.StringIO("\n".join(table.rows) + "\n")
        with connection.cursor() as cursor:
            cursor.execute(
                f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" AS '
                f'SELECT {columns} FROM "{table.name}" WITH NO DATA'
            )
            # COPY goes to the stage (no policy there) on the driver's own cursor.
            cursor.cursor.copy_expert(f'COPY "{stage}" ({columns}) FROM STDIN', data)
            cursor.execute(
                f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM "{stage}"'
            )
            cursor.execute(f'TRUNCATE "{stage}"')
        self.written[table.model] = self.written.get(table.model, 0) + len(table.rows)
        table.rows = []
