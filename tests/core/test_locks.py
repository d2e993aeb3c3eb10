"""Advisory locks taken in one statement, which may also answer the caller's next reads."""

import threading
import time
from typing import Any

import pytest
from django.db import connection, transaction

from apps.core.locks import advisory_xact_lock

pytestmark = pytest.mark.django_db


def test_the_lock_statement_answers_the_reads_given_to_it_in_order(django_assert_num_queries: Any) -> None:
    with transaction.atomic(), django_assert_num_queries(1):
        values = advisory_xact_lock(
            [("t", "a"), ("t", "b")], reading=[("SELECT %s::int + 1", [41]), ("SELECT upper(%s)", ["网格x"])]
        )
    assert values == [42, "网格X"]


def test_reads_without_keys_still_run_and_nothing_at_all_is_no_statement(
    django_assert_num_queries: Any,
) -> None:
    with transaction.atomic():
        assert advisory_xact_lock([], reading=[("SELECT 7", [])]) == [7]
        with django_assert_num_queries(0):
            assert advisory_xact_lock([]) == []


@pytest.mark.django_db(transaction=True)
def test_a_lock_taken_with_reads_holds_another_transaction_until_commit() -> None:
    order: list[str] = []
    taken = threading.Event()

    def first() -> None:
        with transaction.atomic():
            advisory_xact_lock([("t", "k")], reading=[("SELECT 1", [])])
            taken.set()
            time.sleep(0.3)
            order.append("first done")
        connection.close()

    def second() -> None:
        taken.wait(5)
        with transaction.atomic():
            advisory_xact_lock([("t", "k")])
            order.append("second locked")
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert order == ["first done", "second locked"]
