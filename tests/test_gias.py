"""Importing schools from a Get Information about Schools extract: schools/gias.py and its pages."""

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from audit.models import AuditEntry
from clusters.domain import partner_count
from overview import domain as overview
from schools import gias
from schools.models import School, SchoolImport

from .assessment_helpers import at_once
from .factories import SchoolFactory, give_partners

SAMPLE = Path(__file__).parent / "data" / "gias-sample.csv"
SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")
HEADER = SAMPLE_TEXT.splitlines()[0].split(",")
STATE_FIELDS = (
    "authority__slug",
    "urn",
    "name",
    "establishment_type",
    "phase",
    "roll_size",
    "postcode",
    "latitude",
    "longitude",
    "area__name",
    "address",
)


def sample_rows() -> list[dict]:
    return list(csv.DictReader(io.StringIO(SAMPLE_TEXT)))


def variant(changes=None, *, without=(), rows=None) -> str:
    """The sample as CSV text, with {urn: {column: value}} changed and some columns left out."""
    rows = sample_rows() if rows is None else rows
    columns = [c for c in HEADER if c not in without]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, **(changes or {}).get(row["URN"], {})})
    return out.getvalue()


def upload(content, name="edubasealldata20250301.csv"):
    return SimpleUploadedFile(
        name, content.encode() if isinstance(content, str) else content, content_type="text/csv"
    )


def read(content, name="edubasealldata20250301.csv"):
    return gias.read(upload(content, name))


def import_text(world, text, by=None):
    """Upload, preview and confirm, as the pages do; returns the applied plan."""
    by = by or world.people["authority_admin"]
    with scope(authority=world.authority):
        school_import = gias.save_upload(authority=world.authority, by=by, upload=read(text))
        digest = gias.plan(school_import.rows).digest
        return gias.apply(
            authority=world.authority, by=by, school_import=school_import, digest=digest
        )


def upload_page(client, content) -> SchoolImport:
    """Upload through the page; the import it kept."""
    client.post(reverse("schools:import", args=["bathnes"]), {"file": upload(content)})
    with scopes_disabled():
        return SchoolImport.objects.latest("pk")


def preview_url(school_import):
    return reverse("schools:import_preview", args=["bathnes", school_import.pk])


def apply_url(school_import):
    return reverse("schools:import_apply", args=["bathnes", school_import.pk])


def schools_state():
    with scopes_disabled():
        return sorted(School.objects.values_list(*STATE_FIELDS))


def imported():
    with scopes_disabled():
        schools = School.objects.filter(authority__slug="bathnes", urn__startswith="1900").order_by(
            "urn"
        )
        return [
            (s.urn, s.name, s.establishment_type, s.phase, s.roll_size, s.postcode, s.area_id)
            for s in schools
        ]


# A good file ----------------------------------------------------------------------------------


def test_a_good_file_adds_every_school_with_its_phase_and_location(world):
    before = schools_state()
    plan = import_text(world, SAMPLE_TEXT)

    assert (len(plan.added), plan.changed, plan.unchanged) == (12, [], 0)
    assert imported() == [
        (
            "190001",
            "Sulis Vale Primary School",
            "Community school",
            "primary",
            398,
            "BA1 3ZQ",
            None,
        ),
        (
            "190002",
            "Avon Meadows Infant School",
            "Voluntary controlled school",
            "infant",
            171,
            "BA2 1ZT",
            None,
        ),
        (
            "190003",
            "Avon Meadows Junior School",
            "Academy converter",
            "junior",
            236,
            "BA2 1ZU",
            None,
        ),
        (
            "190004",
            "St. Mary’s Catholic Primary School",
            "Voluntary aided school",
            "primary",
            205,
            "BA2 4ZM",
            None,
        ),
        (
            "190005",
            "Lansdown Heights Academy",
            "Academy sponsor led",
            "secondary",
            1150,
            "BA1 5ZH",
            None,
        ),
        (
            "190006",
            "Kingsmead Nursery School",
            "Local authority nursery school",
            "nursery",
            88,
            "BA1 2ZK",
            None,
        ),
        (
            "190007",
            "Southdown Vale School",
            "Community special school",
            "special",
            96,
            "BA2 1ZS",
            None,
        ),
        (
            "190008",
            "Riverside Learning Centre",
            "Pupil referral unit",
            "alternative",
            34,
            "BA1 1ZR",
            None,
        ),
        (
            "190009",
            "Combe Hill Middle School",
            "Academy converter",
            "secondary",
            310,
            "BA2 5ZC",
            None,
        ),
        (
            "190010",
            "Claverton Down School",
            "Other independent school",
            "all_through",
            540,
            "BA2 7ZD",
            None,
        ),
        ("190011", "Weston Fields Academy", "Free schools", "all_through", None, "BA1 4ZW", None),
        (
            "190012",
            "Bath Sixth Form College",
            "Academy 16-19 converter",
            "secondary",
            860,
            "BA1 2ZB",
            None,
        ),
    ]
    with scopes_disabled():
        sulis = School.objects.get(urn="190001")
        claverton = School.objects.get(urn="190010")
        entry = AuditEntry.objects.get(action="schools.imported")
    # Easting 375000, northing 165000 (by pyproj, EPSG:27700 to EPSG:4326): the middle of Bath.
    assert (sulis.latitude, sulis.longitude) == pytest.approx((51.383491, -2.360627), abs=1e-6)
    assert 51.35 < sulis.latitude < 51.42 and -2.42 < sulis.longitude < -2.30
    assert (claverton.latitude, claverton.longitude) == (
        None,
        None,
    )  # no easting and northing in the file
    assert entry.after["added"] == [f"1900{n:02}" for n in range(1, 13)]
    assert entry.after["changed"] == {}
    assert entry.actor == world.people["authority_admin"]
    assert [s for s in schools_state() if not s[1].startswith("1900")] == before


@pytest.mark.parametrize(
    "phase, establishment_type, low, high, expected",
    [
        ("Primary", "Community school", "4", "11", "primary"),
        ("Primary", "Community school", "4", "7", "infant"),
        ("Primary", "Academy converter", "7", "11", "junior"),
        ("Primary", "Community school", "", "", "primary"),
        ("Middle deemed primary", "Community school", "8", "12", "primary"),
        ("Middle deemed secondary", "Academy converter", "9", "13", "secondary"),
        ("16 plus", "Academy 16-19 converter", "16", "19", "secondary"),
        ("Nursery", "Local authority nursery school", "2", "5", "nursery"),
        ("All-through", "Free schools", "4", "18", "all_through"),
        ("Primary", "Foundation special school", "4", "11", "special"),
        ("Not applicable", "Non-maintained special school", "", "", "special"),
        ("Not applicable", "Academy special converter", "11", "19", "special"),
        ("Not applicable", "Pupil referral unit", "", "", "alternative"),
        ("Secondary", "Academy alternative provision converter", "11", "16", "alternative"),
        ("Not applicable", "Free schools alternative provision", "", "", "alternative"),
        ("Not applicable", "Other independent school", "2", "5", "nursery"),
        ("Not applicable", "Other independent school", "3", "11", "primary"),
        ("Not applicable", "Other independent school", "11", "18", "secondary"),
        ("Not applicable", "Other independent school", "3", "18", "all_through"),
    ],
)
def test_phases_map_from_the_gias_phase_type_and_ages(
    phase, establishment_type, low, high, expected
):
    text = variant(
        {
            "190001": {
                "PhaseOfEducation (name)": phase,
                "TypeOfEstablishment (name)": establishment_type,
                "StatutoryLowAge": low,
                "StatutoryHighAge": high,
            }
        },
        rows=sample_rows()[:1],
    )
    assert [row["phase"] for row in read(text).rows] == [expected]


def test_without_the_age_columns_a_primary_school_is_primary():
    text = variant(rows=sample_rows()[1:2], without=("StatutoryLowAge", "StatutoryHighAge"))
    assert [(row["name"], row["phase"]) for row in read(text).rows] == [
        ("Avon Meadows Infant School", "primary")
    ]


# Importing again ------------------------------------------------------------------------------


CHANGES = {
    "190002": {
        "EstablishmentName": "Avon Meadows Church of England Infant School",
        "NumberOfPupils": "176",
    },
    "190005": {"NumberOfPupils": "1184", "TypeOfEstablishment (name)": "Academy converter"},
    "190008": {
        "PhaseOfEducation (name)": "Not applicable",
        "StatutoryLowAge": "5",
        "StatutoryHighAge": "16",
        "TypeOfEstablishment (name)": "Academy alternative provision converter",
    },
    "190012": {"Postcode": "ba1 2zc", "Easting": "374600", "Northing": "165200"},
    # Empty cells leave what the portal knows as it is.
    "190001": {"NumberOfPupils": "", "Postcode": "", "Easting": "", "Northing": ""},
}


def test_a_reimport_changes_exactly_what_changed_and_leaves_the_rest(world):
    import_text(world, SAMPLE_TEXT)
    with scopes_disabled():
        School.objects.filter(urn="190002").update(
            area=world.area, address="1 Meadow Lane\nTwerton"
        )
        give_partners(School.objects.filter(urn="190005").first(), world.school)
        untouched = {
            s.urn: schools_row(s)
            for s in School.objects.exclude(urn__in=["190002", "190005", "190008", "190012"])
        }

    plan = import_text(world, variant(CHANGES))

    assert plan.added == []
    assert plan.unchanged == 8
    assert [(c.school.urn, [(f.field, f.old, f.new) for f in c.fields]) for c in plan.changed] == [
        (
            "190002",
            [
                (
                    "name",
                    "Avon Meadows Infant School",
                    "Avon Meadows Church of England Infant School",
                ),
                ("roll_size", 171, 176),
            ],
        ),
        (
            "190005",
            [
                ("establishment_type", "Academy sponsor led", "Academy converter"),
                ("roll_size", 1150, 1184),
            ],
        ),
        (
            "190008",
            [
                (
                    "establishment_type",
                    "Pupil referral unit",
                    "Academy alternative provision converter",
                )
            ],
        ),
        (
            "190012",
            [
                ("postcode", "BA1 2ZB", "BA1 2ZC"),
                ("latitude", 51.385539, 51.385272),
                ("longitude", -2.366966, -2.366389),
            ],
        ),
    ]
    with scopes_disabled():
        infant = School.objects.get(urn="190002")
        college = School.objects.get(urn="190012")
        assert [partner_count(s) for s in School.objects.filter(urn="190005")] == [1]
        entry = AuditEntry.objects.filter(action="schools.imported").first()
        after = {
            s.urn: schools_row(s)
            for s in School.objects.exclude(urn__in=["190002", "190005", "190008", "190012"])
        }
    assert (infant.name, infant.roll_size, infant.area, infant.address) == (
        "Avon Meadows Church of England Infant School",
        176,
        world.area,
        "1 Meadow Lane\nTwerton",
    )
    assert (college.postcode, college.latitude, college.longitude) == (
        "BA1 2ZC",
        51.385272,
        -2.366389,
    )
    assert after == untouched
    assert entry.after["changed"] == {
        "190002": {
            "name": ["Avon Meadows Infant School", "Avon Meadows Church of England Infant School"],
            "roll_size": [171, 176],
        },
        "190005": {
            "establishment_type": ["Academy sponsor led", "Academy converter"],
            "roll_size": [1150, 1184],
        },
        "190008": {
            "establishment_type": ["Pupil referral unit", "Academy alternative provision converter"]
        },
        "190012": {
            "postcode": ["BA1 2ZB", "BA1 2ZC"],
            "latitude": [51.385539, 51.385272],
            "longitude": [-2.366966, -2.366389],
        },
    }


def schools_row(school):
    return tuple(
        getattr(school, f)
        for f in (
            "name",
            "establishment_type",
            "phase",
            "roll_size",
            "postcode",
            "latitude",
            "longitude",
            "area_id",
            "address",
        )
    )


def test_applying_an_import_draws_the_authoritys_overview_again(world):
    """Its changes are bulk writes, which no model signal sees: the import saved as applied is
    what renews the overview's kept figures."""
    by = world.people["authority_admin"]
    today = timezone.localdate()
    with scope(authority=world.authority):
        school_import = gias.save_upload(authority=world.authority, by=by, upload=read(SAMPLE_TEXT))
        assert overview.kept(world.authority, today, lambda: "before") == "before"
        assert overview.kept(world.authority, today, lambda: "after") == "before"
        digest = gias.plan(school_import.rows).digest
        gias.apply(authority=world.authority, by=by, school_import=school_import, digest=digest)
        assert overview.kept(world.authority, today, lambda: "after") == "after"


def test_importing_the_same_file_twice_changes_nothing_the_second_time(world):
    import_text(world, SAMPLE_TEXT)
    state = schools_state()
    plan = import_text(world, SAMPLE_TEXT)
    assert (plan.added, plan.changed, plan.unchanged) == ([], [], 12)
    assert schools_state() == state


def test_the_outsider_authoritys_school_with_the_same_urn_is_untouched(world):
    SchoolFactory(
        authority=world.outsider_authority,
        area=world.outsider_area,
        urn="190004",
        name="Elsewhere Primary",
    )
    outsider_before = [s for s in schools_state() if s[0] == "outsider"]
    plan = import_text(world, SAMPLE_TEXT)
    assert len(plan.added) == 12
    assert [s for s in schools_state() if s[0] == "outsider"] == outsider_before
    assert [s[:3] for s in schools_state() if s[1] == "190004"] == [
        ("bathnes", "190004", "St. Mary’s Catholic Primary School"),
        ("outsider", "190004", "Elsewhere Primary"),
    ]


# Files that are not right ----------------------------------------------------------------------


def test_missing_columns_are_named_in_one_message():
    with pytest.raises(gias.ImportRefused) as refused:
        read(variant(without=("URN", "Easting", "PhaseOfEducation (name)")))
    assert refused.value.message == (
        "“edubasealldata20250301.csv” is missing the columns URN, PhaseOfEducation (name), "
        "Easting of a Get Information about Schools extract: download the establishment data "
        "again, with all its columns, and upload it as it is."
    )


BAD_ROWS = {
    "190001": {"URN": "12ab"},
    "190002": {"URN": ""},
    "190003": {"URN": "190004"},  # the same URN as line 5
    "190005": {"EstablishmentName": " ", "NumberOfPupils": "lots"},
    "190006": {"PhaseOfEducation (name)": "University"},
    "190007": {"NumberOfPupils": "12000", "Postcode": "nowhere"},
    "190008": {"Easting": "abc", "Northing": "-5"},
    "190009": {"Easting": "450000", "Northing": "1250000"},
    "190010": {"Easting": "374000"},
    "190011": {
        "PhaseOfEducation (name)": "Not applicable",
        "TypeOfEstablishment (name)": "Other independent school",
        "StatutoryLowAge": "",
        "StatutoryHighAge": "three",
    },
    "190012": {"Easting": "nan", "Northing": "1e9"},
}
BAD_ROW_PROBLEMS = [
    (2, "URN", "“12ab” is not a URN: a URN is six or seven digits."),
    (3, "URN", "The URN is missing."),
    (5, "URN", "URN 190004 is also on line 4."),
    (6, "EstablishmentName", "The school's name is missing."),
    (6, "NumberOfPupils", "“lots” is not a whole number."),
    (
        7,
        "PhaseOfEducation (name)",
        "“University” is not a phase of education in Get Information about Schools.",
    ),
    (8, "NumberOfPupils", "Ensure this value is less than or equal to 10000."),
    (8, "Postcode", "“nowhere” is not a UK postcode (like BA1 2AB)."),
    (9, "Easting", "“abc” is not a number of metres."),
    (
        9,
        "Northing",
        "“-5” is outside Great Britain (the National Grid runs from 0 to 1,300,000 metres).",
    ),
    (
        10,
        "Easting and Northing",
        "450000, 1250000 is at latitude 61.1296, longitude -1.0716, outside the area the "
        "portal covers: check the easting and northing.",
    ),
    (11, "Northing", "Empty, but the Easting is not: give both, or leave both empty."),
    (12, "StatutoryHighAge", "“three” is not a whole number."),
    (
        12,
        "PhaseOfEducation (name)",
        "“Not applicable” does not say the school's phase, and there are no statutory "
        "ages to tell it: add StatutoryLowAge and StatutoryHighAge, or add this school by hand.",
    ),
    (13, "Easting", "“nan” is not a number of metres."),
    (
        13,
        "Northing",
        "“1e9” is outside Great Britain (the National Grid runs from 0 to 1,300,000 metres).",
    ),
]


def test_every_bad_row_is_reported_by_line_and_column():
    upload = read(variant(BAD_ROWS))
    assert [(p.line, p.column, p.message) for p in upload.problems] == BAD_ROW_PROBLEMS
    assert [row["urn"] for row in upload.rows] == ["190004"]


def test_a_file_with_bad_rows_changes_nothing(world):
    import_text(world, SAMPLE_TEXT)
    state = schools_state()
    with scope(authority=world.authority):
        school_import = gias.save_upload(
            authority=world.authority,
            by=world.people["authority_admin"],
            upload=read(variant({**CHANGES, **BAD_ROWS})),
        )
        digest = gias.plan(school_import.rows).digest
        with pytest.raises(gias.ImportRefused) as refused:
            gias.apply(
                authority=world.authority,
                by=world.people["authority_admin"],
                school_import=school_import,
                digest=digest,
            )
    assert (
        refused.value.message
        == "Nothing was imported: the file has problems. Correct them and upload it again."
    )
    assert schools_state() == state
    with scopes_disabled():
        assert AuditEntry.objects.filter(action="schools.imported").count() == 1


WINDOWS_NAME = "St. Mary’s Catholic Primary School"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_utf8_with_or_without_bom_and_windows_1252_read_alike(encoding):
    rows = read(SAMPLE_TEXT.encode(encoding)).rows
    assert [row["name"] for row in rows][3] == WINDOWS_NAME
    assert [row["urn"] for row in rows][
        0
    ] == "190001"  # a BOM is not part of the first column's name


NOT_TEXT = (
    "“edubasealldata20250301.csv” is not a text file (it may be an Excel workbook or UTF-16 "
    "text): open it in Excel, save it as “CSV UTF-8 (Comma delimited)”, then upload it again."
)


@pytest.mark.parametrize(
    "content, message",
    [
        (
            SAMPLE_TEXT.encode("utf-16"),
            "“edubasealldata20250301.csv” is saved as UTF-16 text (Excel's “Unicode Text”): "
            "save it as “CSV UTF-8 (Comma delimited)”, then upload it again.",
        ),
        (SAMPLE_TEXT.encode("utf-16-be"), NOT_TEXT),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml", NOT_TEXT),
        (SAMPLE_TEXT.encode() + b"\x00\x00\x00", NOT_TEXT),
        (b"URN,EstablishmentName\x1b[31m\n", NOT_TEXT),
        (
            b"\x81\x8d\x8f\x90\x9d" * 10,
            "“edubasealldata20250301.csv” is neither UTF-8 nor Windows-1252 text: "
            "save it as “CSV UTF-8 (Comma delimited)”, then upload it again.",
        ),
    ],
    ids=["utf-16", "utf-16-without-bom", "xlsx", "nul-bytes", "control-characters", "undecodable"],
)
def test_wrong_encodings_and_binary_files_are_refused_with_how_to_fix_it(content, message):
    with pytest.raises(gias.ImportRefused) as refused:
        read(content)
    assert refused.value.message == message


@pytest.mark.parametrize(
    "content, name, message",
    [
        (
            SAMPLE_TEXT,
            "schools.xlsx",
            "“schools.xlsx” is not a CSV file: download the establishment data from Get "
            "Information about Schools as CSV, or save it from Excel as “CSV UTF-8 (Comma "
            "delimited)”, and upload that.",
        ),
        (
            variant(rows=[]),
            "header.csv",
            "“header.csv” has column names but no schools: check you chose the right file.",
        ),
        (
            variant(rows=sample_rows()[:1]) + '190002,"' + "x" * 200_000 + '"\r\n',
            "huge-cell.csv",
            "“huge-cell.csv” is not a well-formed CSV file (line 3: field larger than field "
            "limit (131072)): download it again from Get Information about Schools and upload "
            "it as it is.",
        ),
    ],
    ids=["not-csv", "no-rows", "malformed"],
)
def test_files_that_are_not_an_extract_are_refused(content, name, message):
    with pytest.raises(gias.ImportRefused) as refused:
        read(content, name)
    assert refused.value.message == message


def test_a_file_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(gias, "MAX_BYTES", 1024 * 1024)
    with pytest.raises(gias.ImportRefused) as refused:
        read(SAMPLE_TEXT + "," * (1024 * 1024))
    assert refused.value.message == (
        "“edubasealldata20250301.csv” is larger than the 1 MB limit: download only your "
        "authority's schools from Get Information about Schools and upload that."
    )


# The pages --------------------------------------------------------------------------------------


def test_upload_preview_and_confirm(admin_client, world):
    response = admin_client.post(
        reverse("schools:import", args=["bathnes"]), {"file": upload(SAMPLE_TEXT)}
    )
    with scopes_disabled():
        school_import = SchoolImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == preview_url(school_import)
    assert (school_import.authority, school_import.uploaded_by, school_import.applied_at) == (
        world.authority,
        world.people["authority_admin"],
        None,
    )

    preview = admin_client.get(preview_url(school_import))
    assert preview.status_code == 200
    assert preview.context["show"] == "added"
    assert [s.urn for s in preview.context["page"]] == [f"1900{n:02}" for n in range(1, 13)]
    page = preview.content.decode()
    assert "Import 12 schools" in page
    assert "<td>St. Mary’s Catholic Primary School</td>" in page
    assert "<td>51.383491, -2.360627</td>" in page

    confirm = admin_client.post(
        apply_url(school_import), {"plan": preview.context["plan"].digest}, follow=True
    )
    assert confirm.redirect_chain == [(reverse("schools:list", args=["bathnes"]), 302)]
    assert [str(m) for m in confirm.context["messages"]] == [
        "Schools imported: 12 added, 0 changed."
    ]
    assert len(imported()) == 12
    with scopes_disabled():
        school_import.refresh_from_db()
    assert school_import.applied_by == world.people["authority_admin"]

    state = schools_state()
    again = admin_client.post(
        apply_url(school_import), {"plan": preview.context["plan"].digest}, follow=True
    )
    assert again.redirect_chain == [(preview_url(school_import), 302)]
    assert [str(m) for m in again.context["messages"]] == [
        "This file was imported on "
        f"{timezone.localtime(school_import.applied_at):%d %B %Y at %H:%M}: "
        "upload it again to see what it would change now."
    ]
    assert "Import 12 schools" not in again.content.decode()
    assert schools_state() == state


def test_the_changes_are_previewed_old_to_new(admin_client, world):
    import_text(world, SAMPLE_TEXT)
    response = admin_client.get(preview_url(upload_page(admin_client, variant(CHANGES))))
    page = response.content.decode()
    assert response.context["show"] == "changed"
    assert [c.school.urn for c in response.context["page"]] == [
        "190002",
        "190005",
        "190008",
        "190012",
    ]
    assert (
        "<li>Name: Avon Meadows Infant School → Avon Meadows Church of England Infant School</li>"
        in page
    )
    assert "<li>Number of pupils: 1150 → 1184</li>" in page
    assert "<li>Postcode: BA1 2ZB → BA1 2ZC</li>" in page
    assert "Import 4 schools" in page


def test_a_file_with_problems_lists_them_and_cannot_be_imported(admin_client, world):
    state = schools_state()
    school_import = upload_page(admin_client, variant(BAD_ROWS))
    response = admin_client.get(preview_url(school_import))
    assert response.context["show"] == "problems"
    assert [(p.line, p.column, p.message) for p in response.context["page"]] == BAD_ROW_PROBLEMS
    page = response.content.decode()
    assert "Nothing can be imported until the file has no problems." in page
    assert 'name="plan"' not in page
    forced = admin_client.post(
        apply_url(school_import), {"plan": response.context["plan"].digest}, follow=True
    )
    assert [str(m) for m in forced.context["messages"]] == [
        "Nothing was imported: the file has problems. Correct them and upload it again."
    ]
    assert schools_state() == state


@pytest.mark.parametrize(
    "content, name, error",
    [
        (
            variant(without=("Postcode",)),
            "schools.csv",
            "“schools.csv” is missing the column Postcode of a Get Information about Schools "
            "extract: download the establishment data again, with all its columns, and upload it "
            "as it is.",
        ),
        (
            SAMPLE_TEXT.encode("utf-16"),
            "schools.csv",
            "“schools.csv” is saved as UTF-16 text (Excel's “Unicode Text”): save it as "
            "“CSV UTF-8 (Comma delimited)”, then upload it again.",
        ),
        (b"", "schools.csv", "The submitted file is empty."),
    ],
)
def test_an_unreadable_upload_is_a_field_error_and_keeps_nothing(
    admin_client, world, content, name, error
):
    state = schools_state()
    response = admin_client.post(
        reverse("schools:import", args=["bathnes"]), {"file": upload(content, name)}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"file": [error]}
    assert "There is a problem" in response.content.decode()
    with scopes_disabled():
        assert SchoolImport.objects.count() == 0
    assert schools_state() == state


def test_a_preview_gone_stale_is_not_applied(admin_client, world):
    import_text(world, SAMPLE_TEXT)
    school_import = upload_page(admin_client, variant(CHANGES))
    digest = admin_client.get(preview_url(school_import)).context["plan"].digest
    with scopes_disabled():
        School.objects.filter(urn="190005").update(
            roll_size=1160
        )  # someone edits the school meanwhile
    state = schools_state()
    response = admin_client.post(apply_url(school_import), {"plan": digest}, follow=True)
    assert response.redirect_chain == [(preview_url(school_import), 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Nothing was imported: the schools have changed since this preview. Check it again "
        "and confirm."
    ]
    assert "<li>Number of pupils: 1160 → 1184</li>" in response.content.decode()
    assert schools_state() == state


@pytest.mark.django_db(transaction=True)
def test_an_import_confirmed_twice_at_once_is_applied_once(world):
    admin = world.people["authority_admin"]
    with scope(authority=world.authority):
        school_import = gias.save_upload(
            authority=world.authority, by=admin, upload=read(SAMPLE_TEXT)
        )
        digest = gias.plan(school_import.rows).digest

    def attempt():
        with scope(authority=world.authority):
            gias.apply(
                authority=world.authority, by=admin, school_import=school_import, digest=digest
            )

    assert at_once(5, attempt, gias.ImportRefused) == ["ok"] + ["refused"] * 4
    assert len(imported()) == 12
    with scopes_disabled():
        assert AuditEntry.objects.filter(action="schools.imported").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_schools_at_once_add_them_once(world):
    admin = world.people["authority_admin"]
    with scope(authority=world.authority):
        imports = [
            gias.save_upload(authority=world.authority, by=admin, upload=read(SAMPLE_TEXT))
            for _ in range(2)
        ]
        digest = gias.plan(imports[0].rows).digest
    queue = list(imports)

    def attempt():
        with scope(authority=world.authority):
            gias.apply(
                authority=world.authority, by=admin, school_import=queue.pop(), digest=digest
            )

    assert at_once(2, attempt, gias.ImportRefused) == ["ok", "refused"]
    assert len(imported()) == 12


def test_the_schools_list_links_admins_to_the_import(admin_client, client, world):
    url = reverse("schools:import", args=["bathnes"])
    assert (
        f'href="{url}"'
        in admin_client.get(reverse("schools:list", args=["bathnes"])).content.decode()
    )
    client.force_login(world.people["mentor"])
    assert (
        f'href="{url}"'
        not in client.get(reverse("schools:list", args=["bathnes"])).content.decode()
    )


# A fixed number of queries, whatever the size of the file --------------------------------------


def many_rows(count, first_urn):
    rows = []
    for n in range(count):
        row = dict(sample_rows()[n % 12])
        row.update(
            URN=str(first_urn + n),
            EstablishmentName=f"School {n}",
            Easting=str(370000 + n),
            Northing="165000",
        )
        rows.append(row)
    return variant(rows=rows)


def queries(callable_):
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


@pytest.mark.parametrize("show", ["added", "changed"])
def test_the_preview_makes_the_same_queries_for_1_and_50_rows(admin_client, world, show):
    counts = []
    for count, first_urn in ((1, 191000), (50, 192000)):
        text = many_rows(count, first_urn)
        if show == "changed":
            import_text(world, text)
            text = text.replace("School ", "Renamed School ")
        url = preview_url(upload_page(admin_client, text)) + f"?show={show}"
        counts.append(queries(lambda url=url: admin_client.get(url)))
        assert len(admin_client.get(url).context["page"].object_list) == min(count, 25)
    assert counts[0] == counts[1]


def test_applying_makes_the_same_queries_for_1_and_50_rows(world):
    counts = []
    for count, first_urn in ((1, 191000), (50, 192000)):
        text = many_rows(count, first_urn)
        counts.append(queries(lambda text=text: import_text(world, text)))
        counts.append(
            queries(lambda text=text: import_text(world, text.replace("School ", "Renamed ")))
        )
    assert counts[0] == counts[2] and counts[1] == counts[3]
