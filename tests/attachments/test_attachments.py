"""Content-addressed photos: hash verified, type from the bytes, idempotent, readable through records."""

import hashlib
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from apps.attachments.models import Attachment
from tests.registry.conftest import XA, geo

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 64


def put(client: APIClient, content: bytes, content_type: str = "image/png", sha: str | None = None) -> Any:
    sha = sha or hashlib.sha256(content).hexdigest()
    return client.put(f"/api/v1/attachments/{sha}/", content, content_type=content_type)


@pytest.fixture(autouse=True)
def _media(tmp_path: Any) -> Any:
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        yield


def test_upload_is_idempotent_and_checked(api_client: Any, worker_of: Any) -> None:
    client = api_client(worker_of("HC-XY-XA-01"))
    first = put(client, PNG)
    assert first.status_code == 201 and first.json()["content_type"] == "image/png"
    assert put(client, PNG).status_code == 200
    assert Attachment.objects.count() == 1
    assert put(client, PNG, sha="0" * 64).status_code == 400  # hash mismatch
    assert (
        "Content-Type" in put(client, JPEG, content_type="image/png").json()["errors"]
    )  # lies about its type
    assert put(client, b"GIF89a" + b"\x00" * 10, content_type="image/png").status_code == 400
    assert put(client, PNG, content_type="text/plain").status_code == 415


def test_size_limit(api_client: Any, worker_of: Any) -> None:
    big = PNG + b"\x00" * (10 * 1024 * 1024)
    assert put(api_client(worker_of("HC-XY-XA-01")), big).status_code == 413


def test_readable_by_whoever_sees_a_referencing_record(api_client: Any, worker_of: Any) -> None:
    uploader = api_client(worker_of("HC-XY-XA-01"))
    sha = put(uploader, JPEG, "image/jpeg").json()["sha256"]
    colleague, stranger = api_client(worker_of("HC-XY-XA-01")), api_client(worker_of("HC-SY-HH-01"))
    assert colleague.get(f"/api/v1/attachments/{sha}/").status_code == 404  # no record references it yet
    created = uploader.post("/api/v1/buildings/", {"address": "新垵村529号", "location": geo(XA), "photos": [sha]},
                            format="json")  # fmt: skip
    assert created.status_code == 201
    download = colleague.get(f"/api/v1/attachments/{sha}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == JPEG
    assert download["Content-Type"] == "image/jpeg"
    assert stranger.get(f"/api/v1/attachments/{sha}/").status_code == 404
    assert uploader.get(f"/api/v1/attachments/{sha}/").status_code == 200
