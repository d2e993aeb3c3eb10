"""A report costs a bounded number of queries, whatever the number of events, grids and rules."""

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.events.conftest import HH, XA, report_body, shifted

# The token, the category, the locks (which also read the grids around the point and the working calendar), the
# open duplicate, then: the routing rules and one statement writing the event with its report, timeline, journal
# entry and notice; or, for a duplicate, the event's count and one statement writing the report, timeline entry
# and journal entry.
MAX_QUERIES_PER_REPORT = 6


def count(client: Any, body: dict[str, Any]) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/events/", body, format="json")
    assert response.status_code in {200, 201}, response.content
    # The test's own transaction turns the service's into a savepoint: not a statement of the report.
    statements = [
        q for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    return response.status_code, len(statements)


def test_report_queries_are_bounded_and_do_not_grow(routing: Any, api_client: Any, reporter: Any,
                                                    django_assert_max_num_queries: Any) -> None:  # fmt: skip
    client = api_client(reporter)
    # The first request of a process also writes the token's last-seen time and reads PostGIS's SRID table.
    triaged = count(client, report_body("dispute_family", (118.10, 24.62)))
    created_small = count(client, report_body("fire_rental", XA))
    merged_small = count(client, report_body("fire_rental", shifted(XA, 20)))
    for i in range(60):  # more events, open and spread over both subdistricts
        count(client, report_body("municipal_road", shifted(HH if i % 2 else XA, 150 * (i // 2 + 1))))
    created_large = count(client, report_body("fire_rental", shifted(XA, north_m=2000)))
    merged_large = count(client, report_body("fire_rental", shifted(XA, 2, 2001)))
    assert (
        created_small[0] == 201
        and merged_small[0] == 200
        and created_large[0] == 201
        and merged_large[0] == 200
    )
    assert created_small[1] == created_large[1] <= MAX_QUERIES_PER_REPORT
    assert merged_small[1] == merged_large[1] <= MAX_QUERIES_PER_REPORT
    assert triaged[0] == 201


def test_list_and_detail_queries_are_bounded(routing: Any, api_client: Any, reporter: Any,
                                             django_assert_max_num_queries: Any) -> None:  # fmt: skip
    client = api_client(reporter)
    ids = [client.post("/api/v1/events/", report_body("municipal_road", shifted(XA, north_m=200 * i)), format="json").json()["id"]
           for i in range(12)]  # fmt: skip
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/v1/events/").json()["features"]) == 12
    with django_assert_max_num_queries(8):
        assert client.get(f"/api/v1/events/{ids[0]}/").status_code == 200
