"""Fan-out and feed cursors: the first fan-out of a webhook subscription, and cursors made before the pull
kept the types it sent."""

from typing import Any

import pytest
from django.core import signing

from apps.journal.changes import CURSOR_SALT
from apps.sharing.webhooks import endpoint_create, subscription_fanout
from tests.sharing.conftest import read_feed

pytestmark = pytest.mark.django_db


def test_the_first_fanout_of_a_webhook_subscription_does_not_crash(
    civil: Any, subscribe: Any, settings: Any
) -> None:
    """``fanout_start_cursor`` makes a cursor that names every type (event included); the pull engine then
    sends the subscription's 'dropped' types as leaving, and for events it takes the owner ``feed:<id>``
    for a user id."""
    settings.GRIDAPI_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    endpoint, _secret = endpoint_create(department=civil, url="http://127.0.0.1:9/hooks")
    subscription = subscribe(["person.name"], record_types=["person"], delivery="webhook", endpoint=endpoint)
    made, _more = subscription_fanout(subscription_id=subscription.pk, limit=100)
    assert made == 0  # nothing committed after its start: no deliveries, and no error
    subscription.refresh_from_db()
    assert subscription.fanout_cursor


def test_a_feed_cursor_issued_before_the_types_were_kept_is_not_a_500(
    records: Any, subscribe: Any, civil_client: Any
) -> None:
    """Cursors are stable for 30 days; one issued by the version before (no ``types`` in it) must still work."""
    subscription = subscribe(["building.address"], record_types=["building"])
    _changes, cursor = read_feed(civil_client, subscription)
    data = signing.loads(cursor, salt=CURSOR_SALT)
    data.pop("types")
    legacy = signing.dumps(data, salt=CURSOR_SALT, compress=True)
    civil_client.raise_request_exception = False
    response = civil_client.get(f"/api/v1/feeds/{subscription.pk}/changes/", {"cursor": legacy})
    assert response.status_code == 200
