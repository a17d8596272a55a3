"""Reading and checking a registration list (CSV or XLSX) of participants for a cohort.

Nothing here writes to the database: ``participant_file_read`` turns an uploaded file into
plain rows (or raises ``ImportFileError`` with a message for the user), ``participant_rows_check``
says what would happen to every row. ``cohorts.services.participants_import`` does the writing.
The plain rows are JSON-serialisable so that they can wait in the session between the
preview and the confirmation, where they are checked again.
"""

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Cohort, Membership, Organisation, Person

MAX_FILE_BYTES = 1024 * 1024
MAX_ROWS = 500
# An .xlsx is a zip; refuse one that would unpack to far more than any registration list needs.
MAX_XLSX_UNPACKED_BYTES = 30 * 1024 * 1024
MAX_COLUMNS = 50
MAX_FIELD_LENGTH = 200

COLUMNS = ("full_name", "email", "job_title", "profession", "team", "organisation")
REQUIRED_COLUMNS = ("full_name", "email")
HEADER_ALIASES = {
    "name": "full_name",
    "fullname": "full_name",
    "e_mail": "email",
    "email_address": "email",
    "e_mail_address": "email",
    "organization": "organisation",
    "discipline": "profession",
}
TEMPLATE_ROWS = [
    COLUMNS,
    ("Alex Example", "alex.example@nhs.example", "Ward manager", "Nursing", "Acute inpatient ward", ""),
]

XLSX_SIGNATURE = b"PK\x03\x04"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary .xls and other Office 97 files
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ImportFileError(Exception):
    """The file as a whole cannot be used; the message is for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# READING


def participant_file_read(uploaded_file) -> list[dict]:
    """Read an uploaded CSV or XLSX into rows ``{"line": n, "full_name": ..., ...}``.

    The kind of file is decided from its content, not from its name.
    """
    if uploaded_file.size is not None and uploaded_file.size > MAX_FILE_BYTES:
        raise ImportFileError(_too_big_message(uploaded_file.size))
    data = uploaded_file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(_too_big_message(len(data)))
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    name = (uploaded_file.name or "").lower()
    if data.startswith(XLSX_SIGNATURE):
        table = _xlsx_table(data)
    elif data.startswith(OLE2_SIGNATURE):
        raise ImportFileError(
            _("This is an old-style Excel (.xls) file. Save it as an Excel workbook (.xlsx) or as CSV and try again.")
        )
    elif name.endswith((".xlsx", ".xlsm")):
        raise ImportFileError(
            _("The file is named .xlsx but is not an Excel workbook. Choose a real .xlsx or CSV file.")
        )
    else:
        table = _csv_table(data)
    return _rows_from_table(table)


def _too_big_message(size):
    return _("The file is %(size)s KB; the largest file accepted is %(limit)s KB (1 MB).") % {
        "size": (size + 1023) // 1024,
        "limit": MAX_FILE_BYTES // 1024,
    }


def _decode(data: bytes) -> str:
    # Excel on Windows still saves "CSV" (not "CSV UTF-8") as Windows-1252.
    encodings = ["utf-16"] if data.startswith((b"\xff\xfe", b"\xfe\xff")) else ["utf-8-sig", "cp1252"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        _("The file's text could not be read. Save it as “CSV UTF-8” or as an Excel workbook (.xlsx) and try again.")
    )


def _csv_table(data: bytes) -> list[list[str]]:
    text = _decode(data)
    if _CONTROL_CHARACTERS.search(text):
        raise ImportFileError(
            _("This is not a CSV or Excel (.xlsx) file. Upload the registration list as CSV or .xlsx.")
        )
    first_line = text.lstrip().split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(first_line, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise ImportFileError(
            _("The CSV file could not be read (%(problem)s). Check that it is a plain CSV file.") % {"problem": error}
        ) from error


def _xlsx_table(data: bytes) -> list[list[str]]:
    not_a_workbook = _("The file is not a readable Excel workbook (.xlsx). Save it again from Excel, or as CSV.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as error:
        raise ImportFileError(not_a_workbook) from error
    if "xl/workbook.xml" not in names:
        raise ImportFileError(not_a_workbook)
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ImportFileError(_("The workbook is too large once unpacked. Keep only the registration list in it."))

    from openpyxl import load_workbook  # imported here: only uploads of workbooks need it

    rows = []
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
                row = [_cell_text(value) for value in values]
                if any(row):
                    rows.append(row)
                    # Stop reading early: the header plus one row more than allowed is enough to refuse.
                    if len(rows) > MAX_ROWS + 1:
                        break
                else:
                    rows.append([])
        finally:
            workbook.close()
    except ImportFileError:
        raise
    except Exception as error:  # openpyxl raises many kinds of errors on a damaged workbook
        raise ImportFileError(not_a_workbook) from error
    return rows


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime.date, datetime.datetime, Decimal)):
        return str(value)
    return str(value).strip()


def _header_key(heading: str) -> str:
    key = re.sub(r"[\s\-]+", "_", heading.replace("\ufeff", "").strip().lower())
    return HEADER_ALIASES.get(key, key)


def _rows_from_table(table: list[list[str]]) -> list[dict]:
    header_index = next((i for i, row in enumerate(table) if any(cell.strip() for cell in row)), None)
    if header_index is None:
        raise ImportFileError(_("The file is empty."))
    headings = [cell.strip() for cell in table[header_index]]
    keys = [_header_key(h) if h else "" for h in headings]
    problems = []
    unknown = [h for h, k in zip(headings, keys, strict=True) if k and k not in COLUMNS]
    if unknown:
        problems.append(_("unknown columns: %(names)s") % {"names": ", ".join(f"“{h}”" for h in unknown)})
    missing = [c for c in REQUIRED_COLUMNS if c not in keys]
    if missing:
        problems.append(_("missing columns: %(names)s") % {"names": ", ".join(missing)})
    repeated = sorted({k for k in keys if k and keys.count(k) > 1})
    if repeated:
        problems.append(_("columns given twice: %(names)s") % {"names": ", ".join(repeated)})
    if problems:
        raise ImportFileError(
            _("The columns in the first row are not right (%(problems)s). The columns are: %(expected)s.")
            % {"problems": "; ".join(problems), "expected": ", ".join(COLUMNS)}
        )

    rows = []
    for offset, cells in enumerate(table[header_index + 1 :], start=header_index + 2):
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        extra = [cell for i, cell in enumerate(cells) if cell and (i >= len(keys) or not keys[i])]
        row = {"line": offset, "unlabelled": bool(extra)}
        for column in COLUMNS:
            row[column] = cells[keys.index(column)] if column in keys and keys.index(column) < len(cells) else ""
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(limit)s participants. Split it into files of at most %(limit)s rows.")
                % {"limit": MAX_ROWS}
            )
    if not rows:
        raise ImportFileError(_("The file has a header row but no participants below it."))
    return rows


# CHECKING


class Outcome:
    NEW = "new"
    EXISTING = "existing"
    IN_COHORT = "in_cohort"
    ERROR = "error"

    labels = {
        NEW: gettext_lazy("New person"),
        EXISTING: gettext_lazy("Existing person, will be added"),
        IN_COHORT: gettext_lazy("Already in this cohort, skipped"),
        ERROR: gettext_lazy("Error"),
    }


@dataclass
class RowResult:
    line: int
    full_name: str
    email: str
    job_title: str
    profession: str
    team: str
    organisation_name: str
    profession_label: str = ""
    organisation: Organisation | None = None
    person: Person | None = None
    membership: Membership | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if self.errors:
            return Outcome.ERROR
        if self.membership is not None:
            return Outcome.IN_COHORT
        return Outcome.EXISTING if self.person is not None else Outcome.NEW

    @property
    def outcome_label(self):
        return Outcome.labels[self.outcome]


@dataclass
class ImportCheck:
    rows: list[RowResult]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def new_count(self):
        return self.count(Outcome.NEW)

    @property
    def existing_count(self):
        return self.count(Outcome.EXISTING)

    @property
    def in_cohort_count(self):
        return self.count(Outcome.IN_COHORT)

    @property
    def error_count(self):
        return self.count(Outcome.ERROR)

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    @property
    def to_add(self) -> list[RowResult]:
        return [row for row in self.rows if row.outcome in (Outcome.NEW, Outcome.EXISTING)]


def profession_lookup() -> dict[str, str]:
    """Profession codes and labels (lower-cased) to codes."""
    lookup = {}
    for code, label in Person.Profession.choices:
        lookup[code.lower()] = code
        lookup[code.replace("_", " ").lower()] = code
        lookup[" ".join(str(label).lower().split())] = code
    return lookup


def participant_rows_check(*, cohort: Cohort, rows: list[dict]) -> ImportCheck:
    """Say for every row what importing it would do, or what is wrong with it (three queries)."""
    professions = profession_lookup()
    profession_labels = dict(Person.Profession.choices)
    organisations = {org.name.casefold(): org for org in Organisation.objects.all()}
    emails = {str(row.get("email", "")).strip().lower() for row in rows} - {""}
    people = (
        {p.email.lower(): p for p in Person.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails)}
        if emails
        else {}
    )
    memberships = (
        {
            m.person_id: m
            for m in Membership.objects.filter(cohort=cohort, person__in=people.values()).select_related("person")
        }
        if people
        else {}
    )

    results = []
    first_line_of_email: dict[str, int] = {}
    for row in rows:
        result = RowResult(
            line=int(row.get("line", 0)),
            full_name=str(row.get("full_name", "")).strip(),
            email=str(row.get("email", "")).strip(),
            job_title=str(row.get("job_title", "")).strip(),
            profession=str(row.get("profession", "")).strip(),
            team=str(row.get("team", "")).strip(),
            organisation_name=str(row.get("organisation", "")).strip(),
        )
        errors = result.errors
        if row.get("unlabelled"):
            errors.append(_("There are values in a column without a heading."))
        if not result.full_name:
            errors.append(_("The full name is missing."))
        lengths = ((_("Full name"), result.full_name), (_("Job title"), result.job_title), (_("Team"), result.team))
        for label, value in lengths:
            if len(value) > MAX_FIELD_LENGTH:
                errors.append(
                    _("%(field)s is longer than %(limit)s characters.") % {"field": label, "limit": MAX_FIELD_LENGTH}
                )
        email = result.email.lower()
        if not email:
            errors.append(_("The e-mail address is missing."))
        else:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(_("“%(email)s” is not a valid e-mail address.") % {"email": result.email})
            else:
                if email in first_line_of_email:
                    errors.append(
                        _("The same e-mail address is already on row %(line)s of this file.")
                        % {"line": first_line_of_email[email]}
                    )
                else:
                    first_line_of_email[email] = result.line
        if result.profession:
            code = professions.get(" ".join(result.profession.lower().split()))
            if code is None:
                errors.append(
                    _("“%(value)s” is not a known profession. Use one of: %(choices)s.")
                    % {"value": result.profession, "choices": ", ".join(str(v) for v in profession_labels.values())}
                )
            else:
                result.profession = code
                result.profession_label = str(profession_labels[code])
        if result.organisation_name:
            result.organisation = organisations.get(result.organisation_name.casefold())
            if result.organisation is None:
                errors.append(
                    _("“%(value)s” is not an organisation known here. Leave it blank or use the exact name of one.")
                    % {"value": result.organisation_name}
                )
        result.person = people.get(email)
        if result.person is not None:
            result.membership = memberships.get(result.person.pk)
        results.append(result)
    return ImportCheck(rows=results)
