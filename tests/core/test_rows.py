"""Instances made from rows of hand-written SQL (``apps.core.rows``) equal those a queryset makes."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from apps.accounts.authentication import api_key_by_hash, device_token_by_hash
from apps.accounts.models import ApiKey, DeviceToken, User, hash_secret
from apps.accounts.services import device_token_issue
from apps.core.rows import Columns
from apps.departments.models import Department
from apps.events.models import EventCategory
from apps.territory.models import TerritoryNode
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def _fields(instance: Any) -> dict[str, Any]:
    """Every concrete field's value, as loaded (deferred ones are not touched)."""
    deferred = instance.get_deferred_fields()
    return {
        field.attname: getattr(instance, field.attname)
        for field in type(instance)._meta.concrete_fields
        if field.attname not in deferred
    }


def _one(columns: Columns[Any], table: str, where: str, params: list[Any]) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns.sql} FROM {table} {columns.alias} WHERE {where}", params)  # noqa: S608
        return columns.instance(cursor.fetchone())


def test_an_instance_from_a_row_equals_the_querysets(territory: dict[str, TerritoryNode]) -> None:
    node = TerritoryNode.objects.get(code="HC-XY-XA-01")
    made = _one(Columns(TerritoryNode, "n"), "territory_territorynode", "n.id = %s", [node.pk])
    assert _fields(made) == _fields(node) and made.boundary.equals_exact(node.boundary)
    assert made._state.adding is False and made._state.db == "default"  # a later save() updates

    category = EventCategory.objects.first()
    assert category is not None
    made_category = _one(Columns(EventCategory, "c"), "events_eventcategory", "c.code = %s", [category.pk])
    assert _fields(made_category) == _fields(category)  # decimals, booleans and text as the ORM gives them


def test_a_column_left_out_is_deferred_and_loads_on_access(territory: dict[str, TerritoryNode]) -> None:
    node = TerritoryNode.objects.get(code="HC-XY-XA-01")
    made = _one(
        Columns(TerritoryNode, "n", defer={"boundary"}), "territory_territorynode", "n.id = %s", [node.pk]
    )
    assert made.get_deferred_fields() == {"boundary"}
    assert made.path == node.path
    assert made.boundary.equals_exact(node.boundary)  # one more query, as with defer()


def test_columns_refuse_what_they_cannot_make() -> None:
    with pytest.raises(ValueError, match="cannot leave out"):
        _ = Columns(TerritoryNode, "n", defer={"nonsense"}).fields
    with pytest.raises(ValueError, match="cannot leave out"):
        _ = Columns(TerritoryNode, "n", defer={"id"}).fields
    with pytest.raises(ValueError, match="values for"):
        Columns(User, "u").instance([1, 2])


def test_the_token_look_up_loads_what_the_orm_did(
    dispatcher_of: Callable[[str], User], django_assert_num_queries: Any
) -> None:
    dispatcher = dispatcher_of("350205")
    secret = device_token_issue(username=dispatcher.username, password=TEST_PASSWORD, device_id="d").secret
    expected = (
        DeviceToken.objects.select_related("user", "user__territory")
        .defer("user__territory__boundary")
        .get(key_hash=hash_secret(secret))
    )
    with django_assert_num_queries(1):
        token = device_token_by_hash(hash_secret(secret))
        assert token is not None
        assert _fields(token) == _fields(expected)
        assert _fields(token.user) == _fields(expected.user)
        assert token.user.territory is not None
        assert _fields(token.user.territory) == _fields(expected.user.territory)
    assert token.user.territory.get_deferred_fields() == {"boundary"}
    assert device_token_by_hash(hash_secret(secret + "x")) is None


def test_a_worker_without_territory_gets_none(worker_of: Callable[..., User]) -> None:
    worker = worker_of("HC-XY-XA-01")
    secret = device_token_issue(username=worker.username, password=TEST_PASSWORD, device_id="w").secret
    token = device_token_by_hash(hash_secret(secret))
    assert token is not None and token.user == worker and token.user.territory is None


def test_the_api_key_look_up_loads_its_department(
    department: Callable[..., Department], api_key_of: Callable[[Department], tuple[ApiKey, str]]
) -> None:
    key, secret = api_key_of(department())
    found = api_key_by_hash(hash_secret(secret))
    assert found is not None and _fields(found) == _fields(key)
    assert _fields(found.department) == _fields(Department.objects.get(pk=key.department_id))
    assert api_key_by_hash(hash_secret("gdk_nothing")) is None


def test_model_to_dict_of_a_made_user_is_the_orms(worker_of: Callable[..., User]) -> None:
    worker = worker_of("HC-XY-XA-01")
    made = _one(Columns(User, "u"), "accounts_user", "u.id = %s", [worker.pk])
    assert model_to_dict(made) == model_to_dict(User.objects.get(pk=worker.pk))


def test_hot_statements_are_prepared_after_five_runs(worker_of: Callable[..., User]) -> None:
    """``DATABASE_PREPARE_THRESHOLD`` (5 by default): the token look-up is parsed and planned once per
    connection, not once per request."""
    worker = worker_of("HC-XY-XA-01")
    secret = device_token_issue(username=worker.username, password=TEST_PASSWORD, device_id="p").secret

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                           ["%FROM accounts_devicetoken t%"])  # fmt: skip
            return int(cursor.fetchone()[0])

    assert connection.connection.prepare_threshold == 5
    before = prepared()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(6):
            assert device_token_by_hash(hash_secret(secret)) is not None
    assert prepared() == before + 1
    # Django's query log still names each statement, prepared or not.
    assert [q["sql"].split(" FROM ")[1].split()[:2] for q in queries.captured_queries] == [
        ["accounts_devicetoken", "t"]
    ] * 6
