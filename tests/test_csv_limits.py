"""Wide or oversized CSV uploads cost bounded memory and time: the columns are capped with a
message that says so, only the known columns are read, rows are streamed. The two files of the
attack: 250,000 header columns with ten one-cell rows (bulk import grew the server by ~100 MiB)
and 150 rows under a 100,000-column header (a do-not-call upload took seconds)."""

import time
import tracemalloc

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from agentdesk.compliance import dnc
from agentdesk.compliance.models import DoNotCallEntry
from agentdesk.dialler import bulk
from agentdesk.shared import csvread
from agentdesk.teams.models import Team

pytestmark = pytest.mark.django_db(transaction=True)


def peak_mib(action) -> tuple[float, object]:
    tracemalloc.start()
    try:
        try:
            outcome: object = action()
        except csvread.CsvRejected as refused:
            outcome = refused
        return tracemalloc.get_traced_memory()[1] / 2**20, outcome
    finally:
        tracemalloc.stop()


def wide_bulk_file(columns: int = 250_000) -> bytes:
    extra = ",".join(f"c{i}" for i in range(columns - 3))
    return f"Name,DiallerCampaignsName,PhoneNumber1,{extra}\n".encode() + b"A\n" * 10


def test_a_bulk_file_with_250000_columns_is_refused_in_little_memory():
    data = wide_bulk_file()
    assert len(data) > 1_800_000
    peak, outcome = peak_mib(lambda: bulk.read_csv(data))
    assert isinstance(outcome, csvread.CsvRejected)
    assert "at most 200 columns are read" in str(outcome)
    assert peak < 2 * len(data) / 2**20 + 1  # the bytes and a little, not a dict per cell


def test_a_header_just_over_the_cap_names_the_count():
    data = wide_bulk_file(csvread.MAX_COLUMNS + 1)
    with pytest.raises(csvread.CsvRejected, match=r"The header row has 201 columns; at most 200"):
        bulk.read_csv(data)


def test_only_known_columns_are_read_and_a_wide_row_is_refused():
    junk = ",".join(f"junk{i}" for i in range(150))
    header, rows = bulk.read_csv(
        f"Name,DiallerCampaignsName,PhoneNumber1,{junk}\n".encode()
        + b"Ann,Spring Renewals,2025550100,"
        + b"x," * 149
        + b"x\n"
    )
    assert len(header) == 153
    assert rows == [
        {"Name": "Ann", "DiallerCampaignsName": "Spring Renewals", "PhoneNumber1": "2025550100"}
    ]
    with pytest.raises(csvread.CsvRejected, match=r"Line 2 has 5000 cells; at most 200 columns"):
        bulk.read_csv(b"Name,DiallerCampaignsName\n" + b"a," * 4999 + b"a\n")


def test_a_huge_line_is_refused_before_it_is_parsed():
    with pytest.raises(csvread.CsvRejected, match="line 2 on is longer than 262144 characters"):
        bulk.read_csv(b"Name,DiallerCampaignsName\n" + b"a" * 300_000 + b"\n")


def test_a_dnc_upload_under_100000_columns_is_refused_at_once():
    users = get_user_model().objects
    team = Team.objects.create(name="Blue")
    lead = users.create(username="lena")
    team.leads.add(lead)
    client = Client()
    client.force_login(lead)
    header = "PhoneNumber," + ",".join(f"c{i}" for i in range(99_999))
    data = (header + "\n" + "".join(f"+1202555{n:04d}\n" for n in range(150))).encode()
    started = time.monotonic()
    answer = client.post(
        f"/monitor/{team.pk}/dnc/", {"file": SimpleUploadedFile("dnc.csv", data, "text/csv")}
    )
    took = time.monotonic() - started
    assert answer.status_code == 200
    assert "at most 200 columns are read" in answer.content.decode()
    assert not DoNotCallEntry.objects.exists()
    assert took < 1.5, took  # it was 2.3-6 s of one thread


def test_dnc_rows_read_only_known_columns_and_cap_the_reason():
    data = (
        f"PhoneNumber,Notes,Reason\n+12025550100,ignored,asked\n+12025550101,ignored,{'r' * 301}\n"
    ).encode()
    result = dnc.import_csv(data, added_by="lena")
    assert result.added == 1
    assert result.problems == [(3, "Reason is longer than 300 characters")]


def test_a_dnc_upload_of_endless_rows_is_refused_and_lists_nothing(monkeypatch):
    monkeypatch.setattr(dnc, "MAX_CSV_ROWS", 100)
    data = b"PhoneNumber\n" + b"".join(b"+1202555%04d\n" % n for n in range(101))
    with pytest.raises(csvread.CsvRejected, match="more than 100 rows; split it"):
        dnc.import_csv(data, added_by="lena")
    assert not DoNotCallEntry.objects.exists()  # all or nothing


def test_a_row_of_quoted_cells_over_many_short_lines_is_refused_in_little_memory():
    """Each line is short, but one row of 500,000 one-line quoted cells would be parsed whole
    before its width could be checked."""
    data = b"Name,DiallerCampaignsName\n" + b'"\n",' * 500_000 + b"x\n"
    peak, outcome = peak_mib(lambda: bulk.read_csv(data))
    assert isinstance(outcome, csvread.CsvRejected)
    assert "line 2 on is longer than 1048576 characters" in str(outcome)
    assert peak < 40, peak


@pytest.mark.parametrize("limit_mib", [1, 2])
def test_the_largest_file_is_the_configured_one(settings, limit_mib):
    """CSV_UPLOAD_MAX_BYTES, as the request-body limit in front of it uses (not a copy)."""
    settings.CSV_UPLOAD_MAX_BYTES = limit_mib * 2**20
    header = b"Name,DiallerCampaignsID,PhoneNumber1\n"
    row = b"Ada Lovelace" + b" " * 100 + b",1,2025550100\n"
    over = header + row * (settings.CSV_UPLOAD_MAX_BYTES // len(row) + 1)
    with pytest.raises(csvread.CsvRejected, match=f"larger than {limit_mib} MB"):
        bulk.read_csv(over)
    under = header + row * ((settings.CSV_UPLOAD_MAX_BYTES - len(header)) // len(row))
    headers, rows = bulk.read_csv(under)
    assert "PhoneNumber1" in headers and len(rows) == len(under.splitlines()) - 1
