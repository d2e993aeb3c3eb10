"""No personal number reaches the application logs or error responses, whatever path it travels."""

import logging
import re
from typing import Any

import pytest

from apps.core.identity import IdentifierError, parse_id_number
from tests.sharing.conftest import ID_NUMBER, PHONE, read_feed
from tests.sync.conftest import mutation

ID_LIKE = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")
PHONE_LIKE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def valid_id_numbers(text: str) -> list[str]:
    found = []
    for candidate in ID_LIKE.findall(text):
        try:
            parse_id_number(candidate)
        except IdentifierError:
            continue
        found.append(candidate)
    return found


@pytest.mark.django_db(transaction=True)
def test_logs_and_errors_never_carry_id_numbers_or_phones(caplog: Any, records: Any, subscribe: Any, civil_client: Any,
                                                           api_client: Any, worker: Any) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    client = api_client(worker)
    bodies: list[str] = []
    bad_checksum = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    for payload in (  # created (the answer names no numbers), then two invalid ones (400)
        {"name": "王五", "id_number": ID_NUMBER, "phone": PHONE, "location": {"type": "Point", "coordinates": [118.0231, 24.4851]}},
        {"name": "赵六", "id_number": bad_checksum, "phone": "12345"},
        {"name": "孙七", "id_number": ID_NUMBER, "birth_date": "not a date"},
    ):  # fmt: skip
        bodies.append(client.post("/api/v1/people/", payload, format="json").content.decode())
    # a worker's lookup in their own grid answers the person in full: it goes to the log check only
    assert client.post("/api/v1/people/search/", {"id_number": ID_NUMBER}, format="json").status_code == 200
    pushed = client.post("/api/v1/sync/push/", {"device_id": "p", "mutations": [
        mutation("person", name="周八", id_number=bad_checksum, phone="99"),
        mutation("person", name="吴九", id_number=ID_NUMBER, phone=PHONE, tags=["nope"]),
    ]}, format="json")  # fmt: skip
    bodies.append(pushed.content.decode())
    read_feed(civil_client, subscribe(["person.name"], record_types=["person"]))
    everything = "\n".join(
        record.getMessage() + " " + str(record.__dict__.get("args")) for record in caplog.records
    )
    assert caplog.records, "the requests above must have logged something for this test to mean anything"
    assert valid_id_numbers(everything) == [] and PHONE_LIKE.findall(everything) == []
    for body in bodies:
        assert ID_NUMBER not in body and bad_checksum not in body and PHONE not in body, body[:300]
