"""Uploads for the studio's import wizard: stored, found again by name only, previewed,
remapped; bad files and names get a clear refusal and lose nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hanji.subscribers import uploads
from hanji.subscribers.actions import Refused
from hanji.subscribers.importer import create_import, run_import
from hanji.subscribers.models import Subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def store(publication, content: bytes, name: str = "list.csv"):
    return uploads.store_upload(publication, SimpleUploadedFile(name, content, "text/csv"))


def test_an_upload_is_stored_under_the_publication_and_found_again_by_its_name(publication):
    path = store(publication, "이메일,이름\nreader@example.org,독자\n".encode())
    assert path.parent == uploads.imports_dir(publication)
    assert uploads.upload_path(publication, path.name) == path


@pytest.mark.parametrize("name", ["", "../hanji.sqlite3", "a/b.csv", "a\\b.csv", "x.txt"])
def test_a_name_that_is_not_a_stored_upload_is_refused(publication, name):
    with pytest.raises(Refused, match="Upload it again"):
        uploads.upload_path(publication, name)


def test_another_publications_upload_is_gone_for_this_one(publication, other_publication):
    theirs = store(other_publication, b"email\nx@example.org\n")
    with pytest.raises(Refused):
        uploads.upload_path(publication, theirs.name)


def test_the_preview_maps_korean_headers_and_shows_rows_and_problems(publication):
    lines = ["이메일,이름,태그", "first@example.org,하나,vip", "not-an-address,둘,", "b@x.kr,셋,"]
    preview = uploads.preview_upload(store(publication, "\n".join(lines).encode("cp949")))
    assert preview["encoding"] in ("cp949", "euc-kr")
    assert preview["mapping"] == {"email": 0, "name": 1, "tags": 2}
    assert preview["rows"][0] == ["first@example.org", "하나", "vip"]
    assert [line for line, _reason, _excerpt in preview["problems"]] == [3]


def test_a_utf16_file_is_refused_with_what_to_do(publication):
    path = store(publication, "email\nreader@example.org\n".encode("utf-16"))
    with pytest.raises(Refused, match="UTF-8"):
        uploads.preview_upload(path)
    assert path.exists()  # nothing lost: the person can still download or fix it


def test_a_chosen_mapping_rewrites_the_header_and_the_import_reads_it(publication):
    path = store(
        publication, "주소,누구\nreader@example.org,독자\nsecond@example.org,둘\n".encode()
    )
    preview = uploads.preview_upload(path)
    mapped = uploads.apply_mapping(path, preview["header"], {"email": 0, "name": 1})
    assert mapped != path and not path.exists()
    assert mapped.read_text().splitlines()[0] == "email,name"
    run_import(create_import(publication, str(mapped)).pk)
    assert dict(Subscriber.objects.values_list("email", "name")) == {
        "reader@example.org": "독자",
        "second@example.org": "둘",
    }


def test_the_automatic_mapping_leaves_the_file_alone(publication):
    path = store(publication, b"email,name\nreader@example.org,Reader\n")
    preview = uploads.preview_upload(path)
    assert uploads.apply_mapping(path, preview["header"], preview["mapping"]) == path


@pytest.mark.parametrize(
    "head, says",
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),  # .xlsx
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "Excel workbook"),  # .xls
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "not text"),
    ],
)
def test_a_workbook_or_a_binary_file_is_refused_with_what_to_do(publication, head, says):
    path = store(publication, head + b"\x00" * 64)
    with pytest.raises(Refused, match=says):
        uploads.preview_upload(path)


def test_a_nul_in_a_cell_of_a_real_csv_is_read(publication):
    path = store(publication, b"email,name\nreader@example.org,a\x00b\nother@example.org,c\n")
    assert len(uploads.preview_upload(path)["rows"]) == 2


def test_the_studio_refuses_a_workbook_at_its_field_and_keeps_nothing(client, owner, publication):
    client.force_login(owner)
    upload = SimpleUploadedFile("list.xlsx", b"PK\x03\x04" + b"\x00" * 200)
    response = client.post(
        f"/studio/p/{publication.slug}/import/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Excel workbook" in response.content.decode()
    assert not list(uploads.imports_dir(publication).iterdir())
