"""A feed after its grant changed: the records of a type no longer granted leave the department's copy.
Feeds read committed journal entries: these tests commit (transactional database)."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.sharing.services import subscription_update
from tests.sharing.conftest import read_feed
from tests.sync.conftest import settle

pytestmark = pytest.mark.django_db(transaction=True)


def test_feed_drops_records_of_a_type_no_longer_granted(
    records: dict[str, Any], subscribe: Any, civil_client: APIClient, admin_user: Any
) -> None:
    subscription = subscribe(["person.name", "building.address"], record_types=["building", "person"])
    changes, cursor = read_feed(civil_client, subscription)
    elder = str(records["elder"].pk)
    assert any(c["id"] == elder and c["type"] == "person" for c in changes)
    subscription_update(
        subscription=subscription, actor=admin_user, record_types=["building"], fields=["building.address"]
    )
    settle()
    after, _ = read_feed(civil_client, subscription, cursor)
    # People are no longer granted: the feed must tell the department to drop them (out_of_scope).
    assert {"type": "person", "id": elder, "deleted": True, "reason": "out_of_scope"} in after, after
