"""Importing schools from the Department for Education's register, Get Information about Schools.

An authority admin downloads establishment data from GIAS as CSV (the "edubasealldata" extract,
or the results of a search there) and uploads it. `read` checks the file and reads its rows,
`save_upload` keeps them, `plan` says what they would add and change, and `apply` makes exactly
that change, all or nothing, once. Schools are matched by URN within the authority, so importing
the same file again changes nothing.

What the columns become:

- URN → URN; EstablishmentName → name; TypeOfEstablishment (name) → establishment type;
  NumberOfPupils → number of pupils; Postcode → postcode, in capitals.
- Easting and Northing (British National Grid, metres) → latitude and longitude (WGS84), to six
  decimal places (about 10 cm).
- The phase, from PhaseOfEducation (name), the type and, when the file has them, the statutory
  ages (StatutoryLowAge, StatutoryHighAge):
  - a type that names special education ("Community special school", "Academy special
    converter", "Non-maintained special school", ...) → Special, whatever the phase;
  - a pupil referral unit, or a type that names alternative provision → Alternative provision;
  - Nursery → Nursery; All-through → All-through;
  - Primary → Infant when the pupils leave by 7, Junior when they start at 7 or later, otherwise
    Primary; "Middle deemed primary" → Primary, as the DfE deems it;
  - Secondary, "Middle deemed secondary" and "16 plus" → Secondary;
  - "Not applicable" (mostly independent schools) → from the ages: up to 5 Nursery, up to 11
    Primary, from 11 Secondary, across 11 All-through; with no ages the row is a problem.

An empty cell in the type, pupils, postcode or easting and northing leaves an existing school's
value as it is (the register has no figure; the admin may have one). What the file does not carry
(area, address) is never touched, nor the clusters a school leads or is a partner in, and new
schools have no area until an admin gives one.
"""

import csv
import hashlib
import io
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from pyproj import Transformer

from audit.domain import record, snapshot
from authorities.models import Authority

from .models import School, SchoolImport, postcode_validator, urn_validator

MAX_BYTES = 50 * 1024 * 1024
# GIAS serves its extract in Windows-1252; Excel's "CSV UTF-8" adds a BOM, which utf-8-sig drops.
ENCODINGS = ("utf-8-sig", "cp1252")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

TYPE, PHASE, PUPILS = "TypeOfEstablishment (name)", "PhaseOfEducation (name)", "NumberOfPupils"
LOW_AGE, HIGH_AGE = "StatutoryLowAge", "StatutoryHighAge"
REQUIRED_COLUMNS = (
    "URN",
    "EstablishmentName",
    TYPE,
    PHASE,
    PUPILS,
    "Postcode",
    "Easting",
    "Northing",
)
FIELDS = (
    "urn",
    "name",
    "establishment_type",
    "phase",
    "roll_size",
    "postcode",
    "latitude",
    "longitude",
)
# The National Grid's extent, in metres.
MAX_EASTING, MAX_NORTHING = 700_000, 1_300_000

Phase = School.Phase
PHASES = {
    "Nursery": Phase.NURSERY,
    "Middle deemed primary": Phase.PRIMARY,
    "Secondary": Phase.SECONDARY,
    "Middle deemed secondary": Phase.SECONDARY,
    "16 plus": Phase.SECONDARY,
    "All-through": Phase.ALL_THROUGH,
}


class ImportRefused(Exception):
    """self.message: one sentence the admin can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Problem:
    line: int  # as a spreadsheet numbers its rows: the column names are line 1
    column: str
    message: str


@dataclass(frozen=True)
class Upload:
    file_name: str
    sha256: str
    rows: list[dict]  # FIELDS of each good row; None where the file leaves the value as it is
    problems: list[Problem]


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: object
    new: object

    @property
    def label(self) -> str:
        return School._meta.get_field(self.field).verbose_name

    @property
    def old_shown(self) -> str:
        return _shown(self.field, self.old)

    @property
    def new_shown(self) -> str:
        return _shown(self.field, self.new)


@dataclass(frozen=True)
class Change:
    school: School  # carrying the new values
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class Plan:
    added: list[School]
    changed: list[Change]
    unchanged: int

    @property
    def digest(self) -> str:
        """Fingerprint of the change, so a confirmation applies only the plan that was previewed."""
        content = [
            [snapshot(school, FIELDS) for school in self.added],
            [[c.school.urn, f.field, f.old, f.new] for c in self.changed for f in c.fields],
        ]
        return hashlib.sha256(json.dumps(content).encode()).hexdigest()


# Reading the file ----------------------------------------------------------------------------


def read(uploaded: UploadedFile) -> Upload:
    """The file's rows and problems, or ImportRefused when it is not a GIAS extract we can read."""
    name = uploaded.name
    if not name.lower().endswith(".csv"):
        raise ImportRefused(
            f"“{name}” is not a CSV file: download the establishment data from Get Information "
            "about Schools as CSV, or save it from Excel as “CSV UTF-8 (Comma delimited)”, and "
            "upload that."
        )
    if uploaded.size > MAX_BYTES:
        raise ImportRefused(
            f"“{name}” is larger than the {MAX_BYTES // (1024 * 1024)} MB limit: "
            "download only your authority's schools from Get Information about Schools and "
            "upload that."
        )
    data = uploaded.read()
    rows, problems = _parse(_decode(data, name), name)
    return Upload(name, hashlib.sha256(data).hexdigest(), rows, problems)


def _decode(data: bytes, name: str) -> str:
    save_as_csv = "save it as “CSV UTF-8 (Comma delimited)”, then upload it again."
    if data.startswith(UTF16_BOMS):
        raise ImportRefused(
            f"“{name}” is saved as UTF-16 text (Excel's “Unicode Text”): {save_as_csv}"
        )
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRefused(f"“{name}” is neither UTF-8 nor Windows-1252 text: {save_as_csv}")
    if CONTROL_CHARACTERS.search(text):
        raise ImportRefused(
            f"“{name}” is not a text file (it may be an Excel workbook or UTF-16 text): "
            f"open it in Excel, {save_as_csv}"
        )
    return text


def _parse(text: str, name: str) -> tuple[list[dict], list[Problem]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows, problems, lines = [], [], {}  # lines: URN -> the line it was first seen on
    line = 0  # the last line read whole: a csv.Error is on the next one
    try:
        reader.fieldnames = [column.strip() for column in reader.fieldnames or []]
        line = 1
        missing = [column for column in REQUIRED_COLUMNS if column not in reader.fieldnames]
        if missing:
            noun = "columns" if len(missing) > 1 else "column"
            raise ImportRefused(
                f"“{name}” is missing the {noun} {', '.join(missing)} of a Get Information about "
                "Schools extract: download the establishment data again, with all its columns, "
                "and upload it as it is."
            )
        for line, values in enumerate(reader, start=2):
            if not any(isinstance(v, str) and v.strip() for v in values.values()):
                continue  # an empty row, as spreadsheets leave at the end
            row, row_problems = _row(values, line)
            urn = row["urn"]
            if urn in lines:
                row_problems.append(
                    Problem(line, "URN", f"URN {urn} is also on line {lines[urn]}.")
                )
            elif urn:
                lines[urn] = line
            if row_problems:
                problems += row_problems
            else:
                rows.append(row)
    except csv.Error as error:
        raise ImportRefused(
            f"“{name}” is not a well-formed CSV file (line {line + 1}: {error}): "
            "download it again from Get Information about Schools and upload it as it is."
        ) from error
    if not rows and not problems:
        raise ImportRefused(
            f"“{name}” has column names but no schools: check you chose the right file."
        )
    return rows, problems


def _row(values: dict, line: int) -> tuple[dict, list[Problem]]:
    problems = []

    def cell(column, parse, *args):
        try:
            return parse((values.get(column) or "").strip(), *args)
        except ValueError as error:
            problems.append(Problem(line, column, str(error)))
            return None

    low, high = cell(LOW_AGE, _age), cell(HIGH_AGE, _age)
    establishment_type = cell(TYPE, _establishment_type)
    row = {
        "urn": cell("URN", _urn),
        "name": cell("EstablishmentName", _name),
        "establishment_type": establishment_type,
        "phase": cell(PHASE, _phase, establishment_type or "", low, high),
        "roll_size": cell(PUPILS, _roll_size),
        "postcode": cell("Postcode", _postcode),
        "latitude": None,
        "longitude": None,
    }
    east, north = ((values.get(column) or "").strip() for column in ("Easting", "Northing"))
    if east and north:
        easting, northing = (
            cell("Easting", _metres, MAX_EASTING),
            cell("Northing", _metres, MAX_NORTHING),
        )
        if easting is not None and northing is not None:
            try:
                row["latitude"], row["longitude"] = _wgs84(easting, northing)
            except ValueError as error:
                problems.append(Problem(line, "Easting and Northing", str(error)))
    elif east or north:
        empty, given = ("Northing", "Easting") if east else ("Easting", "Northing")
        problems.append(
            Problem(line, empty, f"Empty, but the {given} is not: give both, or leave both empty.")
        )
    return row, problems


def _quoted(text: str) -> str:
    return f"“{text[:40]}…”" if len(text) > 40 else f"“{text}”"


def _within_length(field: str, text: str) -> str:
    limit = School._meta.get_field(field).max_length
    if len(text) > limit:
        raise ValueError(f"Longer than {limit} characters (it has {len(text)}).")
    return text


def _whole_number(text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text):
        raise ValueError(f"{_quoted(text)} is not a whole number.")
    return int(text)


def _urn(text: str) -> str:
    if not text:
        raise ValueError("The URN is missing.")
    try:
        urn_validator(text)
    except ValidationError:
        raise ValueError(f"{_quoted(text)} is not a URN: a URN is six or seven digits.") from None
    return text


def _name(text: str) -> str:
    if not text:
        raise ValueError("The school's name is missing.")
    return _within_length("name", text)


def _establishment_type(text: str) -> str | None:
    return _within_length("establishment_type", text) if text else None


def _age(text: str) -> int | None:
    return _whole_number(text) if text else None


def _roll_size(text: str) -> int | None:
    if not text:
        return None
    pupils = _whole_number(text)
    try:
        School._meta.get_field("roll_size").run_validators(pupils)
    except ValidationError as error:
        raise ValueError(" ".join(error.messages)) from None
    return pupils


def _postcode(text: str) -> str | None:
    if not text:
        return None
    postcode = " ".join(text.upper().split())
    try:
        postcode_validator(postcode)
    except ValidationError:
        raise ValueError(f"{_quoted(text)} is not a UK postcode (like BA1 2AB).") from None
    return postcode


def _phase(text: str, establishment_type: str, low: int | None, high: int | None) -> str:
    kind = establishment_type.lower()
    if "special" in kind:
        return Phase.SPECIAL
    if "alternative provision" in kind or "pupil referral unit" in kind:
        return Phase.ALTERNATIVE
    if text == "Primary":
        if high is not None and high <= 7:
            return Phase.INFANT
        if low is not None and low >= 7:
            return Phase.JUNIOR
        return Phase.PRIMARY
    if text == "Not applicable":
        return _phase_by_ages(low, high)
    if text in PHASES:
        return PHASES[text]
    if not text:
        raise ValueError("The phase of education is missing.")
    raise ValueError(
        f"{_quoted(text)} is not a phase of education in Get Information about Schools."
    )


def _phase_by_ages(low: int | None, high: int | None) -> str:
    if low is None or high is None:
        raise ValueError(
            "“Not applicable” does not say the school's phase, and there are no statutory ages to "
            "tell it: add StatutoryLowAge and StatutoryHighAge, or add this school by hand."
        )
    if high <= 5:
        return Phase.NURSERY
    if high <= 11:
        return Phase.PRIMARY
    return Phase.SECONDARY if low >= 11 else Phase.ALL_THROUGH


def _metres(text: str, maximum: int) -> float:
    try:
        metres = float(text)
    except ValueError:
        metres = math.nan
    if not math.isfinite(metres):
        raise ValueError(f"{_quoted(text)} is not a number of metres.")
    if not 0 <= metres <= maximum:
        raise ValueError(
            f"{_quoted(text)} is outside Great Britain "
            f"(the National Grid runs from 0 to {maximum:,} metres)."
        )
    return metres


@cache
def _to_wgs84() -> Transformer:
    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def _wgs84(easting: float, northing: float) -> tuple[float, float]:
    longitude, latitude = _to_wgs84().transform(easting, northing)
    latitude, longitude = round(latitude, 6), round(longitude, 6)
    try:
        School._meta.get_field("latitude").run_validators(latitude)
        School._meta.get_field("longitude").run_validators(longitude)
    except ValidationError:
        raise ValueError(
            f"{easting:.0f}, {northing:.0f} is at latitude {latitude:.4f}, "
            f"longitude {longitude:.4f}, outside the area the portal covers: check the easting "
            "and northing."
        ) from None
    return latitude, longitude


# Keeping, planning and applying --------------------------------------------------------------


def save_upload(*, authority, by, upload: Upload) -> SchoolImport:
    return SchoolImport.objects.create(
        authority=authority,
        uploaded_by=by,
        file_name=upload.file_name,
        sha256=upload.sha256,
        rows=upload.rows,
        problems=[[p.line, p.column, p.message] for p in upload.problems],
    )


def problems(school_import: SchoolImport) -> list[Problem]:
    return [Problem(*problem) for problem in school_import.problems]


def plan(rows: list[dict], *, lock: bool = False) -> Plan:
    """What the rows would add to and change in the authority's schools (the active scope)."""
    schools = School.objects.only("pk", *FIELDS)
    if lock:
        schools = schools.select_for_update(no_key=True)  # its updates change no key
    by_urn = {school.urn: school for school in schools}
    added, changed, unchanged = [], [], 0
    for row in rows:
        given = {
            field: row[field] for field in FIELDS if row[field] is not None
        }  # in FIELDS order: jsonb sorts keys
        school = by_urn.get(row["urn"])
        if school is None:
            added.append(School(**given))
            continue
        fields = tuple(
            FieldChange(field, getattr(school, field), value)
            for field, value in given.items()
            if getattr(school, field) != value
        )
        if not fields:
            unchanged += 1
            continue
        for change in fields:
            setattr(school, change.field, change.new)
        changed.append(Change(school, fields))
    return Plan(added, changed, unchanged)


def apply(*, authority, by, school_import: SchoolImport, digest: str) -> Plan:
    """Make the previewed change, all of it or none of it, once."""
    with transaction.atomic():
        # One import at a time per authority: a second one waits, then finds its preview out of
        # date.
        Authority.objects.select_for_update(no_key=True).get(pk=authority.pk)
        school_import = SchoolImport.objects.select_for_update().get(pk=school_import.pk)
        if school_import.applied_at:
            raise ImportRefused(
                "This file was imported on "
                f"{timezone.localtime(school_import.applied_at):%d %B %Y at %H:%M}: "
                "upload it again to see what it would change now."
            )
        if school_import.problems:
            raise ImportRefused(
                "Nothing was imported: the file has problems. Correct them and upload it again."
            )
        the_plan = plan(school_import.rows, lock=True)
        if the_plan.digest != digest:
            raise ImportRefused(
                "Nothing was imported: the schools have changed since this preview. Check it again "
                "and confirm."
            )
        for school in the_plan.added:
            school.authority = authority
        School.objects.bulk_create(the_plan.added, batch_size=1000)
        # bulk_update's work grows with schools × fields: update each school's changed fields only.
        by_fields = defaultdict(list)
        for change in the_plan.changed:
            by_fields[tuple(f.field for f in change.fields)].append(change.school)
        for fields, schools in by_fields.items():
            School.objects.bulk_update(schools, fields, batch_size=1000)
        school_import.applied_at, school_import.applied_by = timezone.now(), by
        school_import.save(update_fields=["applied_at", "applied_by"])
        record(
            authority=authority,
            actor=by,
            action="schools.imported",
            obj=school_import,
            after={
                "file": school_import.file_name,
                "sha256": school_import.sha256,
                "added": [school.urn for school in the_plan.added],
                "changed": {
                    c.school.urn: {f.field: [f.old, f.new] for f in c.fields}
                    for c in the_plan.changed
                },
            },
        )
    return the_plan


def _shown(field: str, value) -> str:
    if value is None or value == "":
        return "–"
    return Phase(value).label if field == "phase" else str(value)
