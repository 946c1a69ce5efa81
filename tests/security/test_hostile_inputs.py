"""Hostile inputs (issue 6, item 8): script injection, SQL fragments, oversized and malformed
values, spreadsheet formulas, NUL bytes, invalid UTF-8 and the like (hostile.HOSTILE)
through every form, search, import and export of the service.

Forms are found, not listed: every URL of the service is opened as a role the permission
matrix lets reach it, and every form on the page is sent back with each hostile value —
once with every field hostile (hidden fields, choices and buttons too), once with only the
fields a person types into hostile (so that a valid form saves the value, and the page it
leads to shows it). The answer must never be a server error, and an HTML answer must never
hold the script or the image tag unescaped, nor a javascript: link.

The suite also runs on PostgreSQL in CI (DATABASE_URL), where a NUL byte reaching the
database is an error rather than a stored character.
"""

from __future__ import annotations

import csv
import io
import traceback
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve, reverse

from tests.security import common
from tests.security.hostile import HOSTILE, Form, path_of, read_forms, unsafe_output

APP_URLS = common.app_urls()
PATTERNS = dict(APP_URLS)
# Each URL as a role allowed to open it (anonymous for public pages only it is given).
PAGES = [(name, common.allowed_role(name) or "anonymous") for name, _ in APP_URLS]
TYPED = {"text", "textarea", "email", "url", "search", "tel", "number", "date", "password"}
NOT_SUBMITTED = {"submit", "button", "reset", "image"}
# Forms not sent: signing out (it would end the session the test runs in).
SKIPPED_ACTIONS = {"accounts:sign-out"}
# Query parameters tried on every page, with the values most likely to break a page that
# reads them without a form (paging, sorting, filtering, where to go next).
COMMON_PARAMETERS = ("page", "q", "next", "sort", "status", "from", "to", "id", "child")
QUERY_VALUES = (
    "script",
    "javascript-url",
    "huge-integer",
    "nul-byte",
    "lone-surrogate",
    "malformed-date",
)
# Forms already tried this run (the same form appears on several pages).
TRIED: set[tuple[str, str, tuple[str, ...]]] = set()


def encode(pairs: list[tuple[str, str | bytes]]) -> str:
    return urlencode(pairs)


def as_text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def submissions(form: Form, value: str | bytes) -> dict[str, list[tuple[str, str | bytes]]]:
    """The form sent two ways: every field hostile; only the typed-into fields hostile."""
    everything = [
        (f.name, value) for f in form.fields if f.kind != "file" and f.name != "csrfmiddlewaretoken"
    ]
    typed_names = {f.name for f in form.fields if f.kind in TYPED}
    typed: list[tuple[str, str | bytes]] = [
        (name, value if name in typed_names else default)
        for name, defaults in form.defaults().items()
        for default in defaults
    ]
    typed += [(name, value) for name in typed_names if name not in form.defaults()]
    return {"every field": everything, "typed fields": typed}


def hostile_file(label: str, value: str | bytes) -> SimpleUploadedFile:
    """A CSV whose cells are the hostile value (for forms with a file field)."""
    text = as_text(value)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(
        [["Record ID", "Given name", "name", "description"]] + [[text] * 4] * 3
    )
    return SimpleUploadedFile(
        f"{label}.csv", buffer.getvalue().encode("utf-8", "replace"), "text/csv"
    )


def send(client, form: Form, pairs, label: str, value, follow: bool):
    has_file = any(f.kind == "file" for f in form.fields)
    url = path_of(form.action)
    if form.method == "get":
        joiner = "&" if "?" in url else "?"
        return client.get(f"{url}{joiner}{encode(pairs)}", follow=follow)
    if has_file:
        data: dict[str, object] = {}
        for name, item in pairs:
            data.setdefault(name, []).append(as_text(item))  # type: ignore[union-attr]
        for f in form.fields:
            if f.kind == "file":
                data[f.name] = hostile_file(label, value)
        return client.post(url, data, follow=follow)
    return client.post(
        url, encode(pairs), content_type="application/x-www-form-urlencoded", follow=follow
    )


def url_name(url: str) -> str:
    try:
        match = resolve(path_of(url).split("?")[0])
    except Resolver404:
        return "(unknown)"
    return match.view_name


def crash(error: Exception) -> str:
    """The error and where in Joined Up (and in Django's forms, if there) it came from."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/joinedup/" in f.filename and "/.venv/" not in f.filename]
    where = f" at {ours[-1].filename.split('/joinedup/')[-1]}:{ours[-1].lineno}" if ours else ""
    forms = [f for f in frames if "django/forms" in f.filename]
    if forms:
        where += (
            f" via django/forms/{forms[-1].filename.split('django/forms/')[-1]}:{forms[-1].lineno}"
        )
    return f"{type(error).__name__}: {str(error)[:300]}{where}"


def check(response, what: str) -> list[str]:
    problems = []
    chain = [*getattr(response, "redirect_chain", [])]
    if response.status_code >= 500:
        problems.append(f"{what}: server error {response.status_code}")
    if unsafe := unsafe_output(response):
        problems.append(f"{what}: {unsafe} (after {chain})" if chain else f"{what}: {unsafe}")
    return problems


# The values sent in every field (hidden fields, choices and buttons too): the ones that
# break types and parsers. Every value of the corpus goes in the typed-into fields.
EVERY_FIELD_VALUES = frozenset(
    {
        "script",
        "sql-drop-table",
        "oversized",
        "nul-byte",
        "lone-surrogate",
        "malformed-date",
        "negative-number",
        "huge-integer",
        "path-traversal",
        "header-injection",
    }
)


def try_form(client, world, role: str, form: Form) -> list[str]:
    problems = []
    for label, value in HOSTILE.items():
        for way, pairs in submissions(form, value).items():
            if way == "every field" and label not in EVERY_FIELD_VALUES:
                continue
            client.logout()
            world.sign_in(client, role)
            what = f"{form.method.upper()} {path_of(form.action)} [{label}, {way}]"
            try:
                response = send(client, form, pairs, label, value, follow=way == "typed fields")
            except Exception as error:
                problems.append(f"{what}: {crash(error)}")
                continue
            common.TALLY["hostile submissions"] += 1
            problems += check(response, what)
    return problems


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), PAGES)
def test_every_form_on_the_page_survives_hostile_input(client, world, name, role):
    world.sign_in(client, role)
    url = common.url_for(name, PATTERNS[name], world.url_kwargs)
    response = client.get(url)
    common.TALLY["pages opened"] += 1
    if response.status_code != 200 or "html" not in response.headers.get("Content-Type", ""):
        return
    problems = []
    for form in read_forms(response.content.decode("utf-8", "replace"), url):
        target = url_name(form.action)
        key = (target, form.method, form.names())
        if target in SKIPPED_ACTIONS or key in TRIED or not form.fields:
            continue
        TRIED.add(key)
        common.TALLY["forms tried"] += 1
        common.TALLY["form fields tried"] += len(
            [f for f in form.fields if f.kind not in NOT_SUBMITTED]
        )
        problems += try_form(client, world, role, form)

    # Query parameters a page may read without a form.
    for label in QUERY_VALUES:
        pairs = [(parameter, HOSTILE[label]) for parameter in COMMON_PARAMETERS]
        client.logout()
        world.sign_in(client, role)
        what = f"GET {url} with hostile query parameters [{label}]"
        try:
            response = client.get(f"{url}?{encode(pairs)}")
        except Exception as error:
            problems.append(f"{what}: {type(error).__name__}: {str(error)[:300]}")
            continue
        common.TALLY["hostile query strings"] += 1
        problems += check(response, what)
    assert not problems, "\n".join(problems)


def test_the_corpus_has_every_kind_of_hostile_value():
    values = [as_text(v) for v in HOSTILE.values()]
    assert "<script>alert(1)</script>" in values
    assert any(v.startswith("=") for v in values)
    assert any(len(v) >= 100_000 for v in values)
    assert any("\x00" in v for v in values)
    assert any(isinstance(v, bytes) for v in HOSTILE.values())
    # The searches are among the pages whose forms are tried.
    assert {"children:search", "referrals:directory"} <= {name for name, _ in PAGES}


# Imports ---------------------------------------------------------------------------------


def hostile_table(headings: list[str]) -> bytes:
    """A CSV with one row per hostile value, the value in every column."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headings)
    for value in HOSTILE.values():
        writer.writerow([as_text(value)] * len(headings))
    return buffer.getvalue().encode("utf-8", "replace")


def malformed_files(good: bytes) -> dict[str, tuple[str, bytes]]:
    """Files that are not what they claim to be, broken, empty or too big."""
    return {
        "hostile values": ("hostile.csv", good),
        "NUL bytes": ("nul.csv", good.replace(b",", b"\x00,")),
        "invalid UTF-8": ("latin.csv", good + b"\xff\xfe\xed\xa0\x80\r\n"),
        "UTF-16": ("utf16.csv", good.decode("utf-8").encode("utf-16")),
        "binary noise": ("noise.csv", bytes(range(256)) * 8),
        "an image named .csv": ("photo.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        "CSV named .xlsx": ("table.xlsx", good),
        "a zip that is not a workbook": ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 200),
        "empty": ("empty.csv", b""),
        "headings only": ("headings.csv", good.split(b"\r\n")[0] + b"\r\n"),
        "one enormous cell": ("huge-cell.csv", b"name\r\n" + b"x" * 600_000 + b"\r\n"),
        "10,000 columns": ("wide.csv", b",".join(b"c%d" % i for i in range(10_000)) + b"\r\n"),
        "unbalanced quotes": ("quotes.csv", b'name,description\r\n"open,"\r\n""",x\r\n'),
        "too big": ("big.csv", good + b"x" * 5_000),
    }


IMPORTS = {
    # URL name: (role, form data besides the file, headings of a plausible file)
    "children:feeds:upload": (
        "data_manager",
        "agency",
        ["Record ID", "Given name", "Family name", "Date of birth", "NHS number", "Postcode"],
    ),
    "referrals:import": (
        "data_manager",
        None,
        ["slug", "name", "agency", "description", "age_from", "age_to", "areas", "website"],
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(IMPORTS))
def test_imports_survive_hostile_and_malformed_files(client, world, settings, name):
    role, agency_field, headings = IMPORTS[name]
    settings.FEED_MAX_BYTES = 4_000  # so "too big" is too big without a 10 MB upload
    url = reverse(name)
    problems = []
    for label, (filename, content) in malformed_files(hostile_table(headings)).items():
        client.logout()
        world.sign_in(client, role)
        data: dict[str, object] = {"file": SimpleUploadedFile(filename, content, "text/csv")}
        if agency_field:
            data[agency_field] = world.url_kwargs["agency_id"]
        what = f"{name} [{label}]"
        try:
            response = client.post(url, data, follow=True)
        except Exception as error:
            problems.append(f"{what}: {type(error).__name__}: {str(error)[:300]}")
            continue
        common.TALLY["hostile import files"] += 1
        problems += check(response, what)
    assert not problems, "\n".join(problems)


FHIR_FILES: dict[str, bytes] = {
    "not JSON": b"<xml>not json</xml>",
    "JSON null": b"null",
    "a list": b"[1, 2, 3]",
    "deeply nested": b"[" * 50_000 + b"]" * 50_000,
    "NUL byte": b'{"resourceType": "Bundle\x00"}',
    "invalid UTF-8": b'{"resourceType": "\xed\xa0\x80"}',
    "too big": b'{"pad": "' + b"x" * (1024 * 1024 + 10) + b'"}',
    "empty": b"",
    # Parses (under the parser's limit) but nests deeper than any referral does.
    "nested under the parser's limit": b'{"resourceType": "Bundle", "entry": '
    + b"[" * 900
    + b"]" * 900
    + b"}",
}


def hostile_bundles() -> dict[str, bytes]:
    """A referral bundle's shape with every string a hostile value."""
    import json

    bundles = {}
    for label, value in HOSTILE.items():
        text = as_text(value)
        bundle = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "resource": {
                        "resourceType": "ServiceRequest",
                        "id": text,
                        "status": text,
                        "intent": text,
                        "subject": {"reference": text, "display": text},
                        "reasonCode": [{"text": text}],
                        "note": [{"text": text}],
                        "authoredOn": text,
                    }
                },
                {
                    "resource": {
                        "resourceType": "Task",
                        "status": text,
                        "focus": {"reference": text},
                    }
                },
                {
                    "resource": {
                        "resourceType": "Patient",
                        "name": [{"given": [text], "family": text}],
                        "birthDate": text,
                        "identifier": [{"system": text, "value": text}],
                    }
                },
            ],
        }
        bundles[f"bundle of {label}"] = json.dumps(bundle).encode()
    return bundles


@pytest.mark.django_db
def test_fhir_import_survives_hostile_and_malformed_files(client, world):
    url = reverse(
        "referrals:fhir-import", kwargs={"service_slug": world.url_kwargs["service_slug"]}
    )
    problems = []
    for label, content in {**FHIR_FILES, **hostile_bundles()}.items():
        client.logout()
        world.sign_in(client, "member")
        upload = SimpleUploadedFile("referral.json", content, "application/fhir+json")
        try:
            response = client.post(url, {"file": upload}, follow=True)
        except Exception as error:
            problems.append(f"FHIR import [{label}]: {type(error).__name__}: {str(error)[:300]}")
            continue
        common.TALLY["hostile import files"] += 1
        problems += check(response, f"FHIR import [{label}]")
    assert not problems, "\n".join(problems)


# Exports ---------------------------------------------------------------------------------

FORMULAS = {k: v for k, v in HOSTILE.items() if k.startswith("formula")}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cells(response) -> list[str]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode("utf-8-sig", "replace")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.mark.django_db
def test_formulas_saved_in_the_directory_are_neutralised_in_every_csv(client, world):
    """Formula strings saved through the directory's own forms (and an import) come out of
    every CSV the service gives — the directory export, the rejects files, the reports —
    as text: no cell starts with = + - or @."""
    from joinedup.referrals.models import Service

    world.sign_in(client, "data_manager")
    service = Service.objects.get(slug=world.url_kwargs["service_slug"])
    formulas = list(FORMULAS.values())
    # Through the ORM, the same as a form that accepted them would save.
    Service.objects.filter(pk=service.pk).update(
        name=as_text(formulas[0]),
        description=as_text(formulas[1]),
        referral_criteria=as_text(formulas[2]),
        contact_name=as_text(formulas[3]),
        town=as_text(formulas[4]),
    )
    # And through the import, with a rejected row full of formulas.
    content = hostile_table(["slug", "name", "agency", "description", "age_from", "age_to"])
    client.post(
        reverse("referrals:import"), {"file": SimpleUploadedFile("f.csv", content, "text/csv")}
    )

    problems = []
    csv_urls = 0
    for name, pattern in APP_URLS:
        role = common.allowed_role(name)
        if role is None:
            continue
        client.logout()
        world.sign_in(client, role)
        response = client.get(common.url_for(name, pattern, world.url_kwargs))
        if response.status_code != 200 or "csv" not in response.headers.get("Content-Type", ""):
            continue
        csv_urls += 1
        common.TALLY["csv exports checked"] += 1
        for cell in csv_cells(response):
            if cell.startswith(FORMULA_START):
                problems.append(f"{name}: cell {cell[:60]!r} would run as a formula")
    assert csv_urls >= 3, "expected the directory export, the rejects files and the reports"
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_directory_export_keeps_formulas_as_text(client, world):
    from joinedup.referrals.models import Service

    Service.objects.filter(slug=world.url_kwargs["service_slug"]).update(
        name='=HYPERLINK("http://evil","x")', description="@SUM(1)"
    )
    world.sign_in(client, "member")
    cells = csv_cells(client.get(reverse("referrals:export-csv")))
    assert '\'=HYPERLINK("http://evil","x")' in cells
    assert "'@SUM(1)" in cells


def planned_size() -> dict[str, int]:
    """The corpus and the pages, files and exports it is tried on (docs/security-tests.md).
    How many forms and fields the pages hold is counted as the tests run (printed at the
    end of the run) and recorded in the document from the last run."""
    files = malformed_files(b"a\r\nb\r\n")
    return {
        "Hostile inputs: values in the corpus": len(HOSTILE),
        "Hostile inputs: pages opened for their forms": len(PAGES),
        "Hostile inputs: values sent in every field of a form": len(EVERY_FIELD_VALUES),
        "Hostile inputs: values sent in the typed-into fields of a form": len(HOSTILE),
        "Hostile inputs: query-string values tried on every page": len(QUERY_VALUES),
        "Hostile inputs: import files (feeds, directory, FHIR)": len(IMPORTS) * len(files)
        + len(FHIR_FILES)
        + len(HOSTILE),
    }
