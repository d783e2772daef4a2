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
from datetime import date, datetime

from django.db import connection

IDS_AT_ONCE = 10_000


def _text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (datetime, date)):
        return value.isoformat()
    elif not isinstance(value, str):
        return str(value)
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


class _Table:
    def __init__(self, model):
        meta = model._meta
        self.model = model
        self.name = meta.db_table
        self.fields = [f for f in meta.concrete_fields]
        self.columns = [f.column for f in self.fields]
        self.rows: list[str] = []
        self.ids: list[int] = []

    def line(self, values: dict) -> str:
        cells = []
        for field in self.fields:
            if field.attname in values:
                value = values.pop(field.attname)
            elif field.has_default():
                value = field.get_default()
            elif field.null:
                value = None
            elif field.blank and field.empty_strings_allowed:
                value = ""
            else:
                raise ValueError(f"{self.name}: no value for {field.attname}")
            cells.append(_text(value))
        if values:
            raise ValueError(f"{self.name} has no field {', '.join(values)}")
        return "\t".join(cells)


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
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                    "FROM generate_series(1, %s) ORDER BY 1",
                    [table.name, IDS_AT_ONCE],
                )
                table.ids = [row[0] for row in cursor.fetchall()][::-1]
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
