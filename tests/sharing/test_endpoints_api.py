"""Webhook endpoints and dead letters through the API and the admin (administrators only)."""

from typing import Any

from django.test import Client, override_settings
from django.utils import timezone

from apps.core.crypto import unseal
from apps.sharing.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint


def test_an_endpoint_is_created_with_its_secret_shown_once(
    civil: Any, admin_user: Any, api_client: Any
) -> None:
    admin = api_client(admin_user)
    refused = admin.post("/api/v1/sharing/endpoints/", {"department": "HC-MZ", "url": "http://127.0.0.1:9/hook"},
                         format="json")  # fmt: skip
    assert refused.status_code == 400 and "url" in refused.json()["errors"]
    with override_settings(GRIDAPI_WEBHOOK_ALLOWED_HOSTS=["127.0.0.1"]):
        created = admin.post("/api/v1/sharing/endpoints/", {"department": "HC-MZ", "url": "http://127.0.0.1:9/hook"},
                             format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    endpoint = WebhookEndpoint.objects.get(pk=created.json()["id"])
    assert secret.startswith("whsec_") and unseal(endpoint.secret_sealed) == secret
    assert "secret" not in admin.get(f"/api/v1/sharing/endpoints/{endpoint.pk}/").json()


def test_only_administrators_manage_endpoints_and_replay(civil: Any, civil_client: Any, admin_user: Any,
                                                          api_client: Any) -> None:  # fmt: skip
    assert civil_client.get("/api/v1/sharing/endpoints/").status_code == 403
    assert civil_client.get("/api/v1/sharing/deliveries/").status_code == 403
    endpoint = WebhookEndpoint.objects.create(
        department=civil, url="https://example.org/hook", secret_sealed="x"
    )
    dead = WebhookDelivery.objects.create(endpoint=endpoint, event_type="building.changed", payload={},
                                          status=DeliveryStatus.DEAD, attempts=9, next_attempt_at=timezone.now())  # fmt: skip
    admin = api_client(admin_user)
    listed = admin.get("/api/v1/sharing/deliveries/", {"status": "dead"}).json()["results"]
    assert [d["webhook_id"] for d in listed] == [f"msg_{dead.pk.hex}"]
    replayed = admin.post(f"/api/v1/sharing/deliveries/{dead.pk}/replay/")
    assert (
        replayed.status_code == 200
        and replayed.json()["status"] == "pending"
        and replayed.json()["attempts"] == 0
    )
    again = admin.post(f"/api/v1/sharing/deliveries/{dead.pk}/replay/")
    assert again.status_code == 400


def test_sharing_admin_pages_render(civil: Any, admin_user: Any, subscribe: Any) -> None:
    subscribe(["building.address"])
    staff = Client()
    staff.force_login(admin_user)
    for model in ("cataloguefield", "subscription", "webhookendpoint", "webhookdelivery"):
        assert staff.get(f"/admin/sharing/{model}/").status_code == 200, model
    assert staff.get("/admin/journal/accesslogentry/").status_code == 200
