"""Webhooks through both doors (SPEC §14): the secret is shown once, listings and the delivery
log are the tenant's own (404 otherwise), redelivery sends again, and the same ACL rule guards
each action in the API and the portal."""

import re

import pytest

from acl.models import AclModule, ModulePermission
from acl.services import api_user_permission_verify
from organizations.models import OrganizationType
from tests.factories import OrganizationFactory, UserFactory
from tests.webhooks.receiver import receiver
from webhooks.models import Delivery, Webhook
from webhooks.services import event_emit, webhook_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_allowed(settings):
    settings.DREC_WEBHOOK_ALLOW_PRIVATE = True


def test_the_api_shows_the_secret_once_and_lists_the_tenants_own(client_for, grant, buyer, api_user):
    grant(api_user, "WEBHOOK_MANAGEMENT_CRUDL", "Read", "Write", "Update", "Delete")
    client = client_for(buyer)
    made = client.post(
        "/api/webhooks",
        {"url": "http://127.0.0.1:9/hooks", "events": ["claim.created", "certificate.issued"], "description": "ERP"},
        format="json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["certificate.issued", "claim.created"]  # in the documented order
    listed = client.get("/api/webhooks").json()
    assert [w["id"] for w in listed["webhooks"]] == [body["id"]]
    assert "secret" not in listed["webhooks"][0]
    assert body["secret"] not in client.get("/api/webhooks").content.decode()
    # Another tenant sees none of it.
    webhook_create(acting_user=api_user, url="http://127.0.0.1:9/other", events=["permission.changed"])
    other = client_for(api_user)
    assert [w["url"] for w in other.get("/api/webhooks").json()["webhooks"]] == ["http://127.0.0.1:9/other"]
    assert other.get(f"/api/webhooks/{body['id']}/deliveries").status_code == 404
    assert other.delete(f"/api/webhooks/{body['id']}").status_code == 404
    assert Webhook.objects.filter(pk=body["id"]).exists()


def test_bad_input_names_the_field_and_stores_nothing(client_for, buyer, settings):
    client = client_for(buyer)
    unknown = client.post("/api/webhooks", {"url": "http://127.0.0.1/h", "events": ["nope"]}, format="json")
    assert unknown.status_code == 400
    assert "events" in unknown.json()["errors"]
    settings.DREC_WEBHOOK_ALLOW_PRIVATE = False
    private = client.post("/api/webhooks", {"url": "https://127.0.0.1/h", "events": ["claim.created"]}, format="json")
    assert private.status_code == 400
    assert "not a public address" in private.json()["message"]
    assert "url" in private.json()["errors"]
    assert not Webhook.objects.exists()


def test_the_delivery_log_and_redelivery(client_for, grant, api_user, django_capture_on_commit_callbacks):
    grant(api_user, "WEBHOOK_MANAGEMENT_CRUDL", "Read", "Write", "Update", "Delete")
    client = client_for(api_user)
    with receiver() as end:
        end.statuses = [500]
        made = client.post("/api/webhooks", {"url": end.url, "events": ["permission.changed"]}, format="json").json()
        with django_capture_on_commit_callbacks(execute=True):
            api_user_permission_verify(api_user_id=api_user.api_user.api_user_id, status="Active")
        log = client.get(f"/api/webhooks/{made['id']}/deliveries").json()
        (delivery,) = log["deliveries"]
        assert (delivery["eventType"], delivery["status"]) == ("permission.changed", "pending")
        assert [a["statusCode"] for a in delivery["attempts"]] == [500]
        assert delivery["attempts"][0]["latencyMs"] >= 0
        with django_capture_on_commit_callbacks(execute=True):
            again = client.post(f"/api/webhooks/{made['id']}/deliveries/{delivery['id']}/redeliver")
        assert again.status_code == 202
        log = client.get(f"/api/webhooks/{made['id']}/deliveries").json()
        assert log["deliveries"][0]["status"] == "succeeded"
        assert [a["statusCode"] for a in log["deliveries"][0]["attempts"]] == [500, 200]
        assert len(end.received) == 2
        assert client.post(f"/api/webhooks/{made['id']}/deliveries/999999/redeliver").status_code == 404
    assert client.delete(f"/api/webhooks/{made['id']}").json()["success"] is True
    assert not Delivery.objects.exists()


def test_who_may_use_webhooks(client_for, buyer, sub_buyer, developer_admin, api_user, admin_user):
    body = {"url": "http://127.0.0.1:9/h", "events": ["claim.created"]}
    assert client_for(developer_admin).post("/api/webhooks", body, format="json").status_code == 201
    assert client_for(buyer).post("/api/webhooks", body, format="json").status_code == 201
    # A SubBuyer holds no grant of the module, the super admin is nobody's tenant, and an api
    # user has what it requested and the super admin approved: nothing yet.
    for user in (sub_buyer, admin_user, api_user):
        assert client_for(user).post("/api/webhooks", body, format="json").status_code == 403
        assert client_for(user).get("/api/webhooks").status_code == 403
    ModulePermission.objects.create(
        module=AclModule.objects.get(name="WEBHOOK_MANAGEMENT_CRUDL"),
        entity_type="User",
        user=api_user,
        permissions_value=1,  # Read only
        is_active=True,
    )
    assert client_for(api_user).get("/api/webhooks").status_code == 200
    assert client_for(api_user).post("/api/webhooks", body, format="json").status_code == 403


def test_the_portal_shows_the_secret_once_then_the_log(client, buyer, django_capture_on_commit_callbacks):
    client.force_login(buyer)
    with receiver() as end:
        page = client.get("/webhooks")
        assert page.status_code == 200
        created = client.post("/webhooks", {"url": end.url, "events": ["claim.created"], "description": "ERP"})
        webhook = Webhook.objects.get()
        assert created["Location"] == f"/webhooks/{webhook.pk}"  # POST, then redirect: a reload sends nothing
        html = client.get(created["Location"]).content.decode()
        assert 'data-testid="webhook-secret"' in html
        assert webhook.secret in html
        assert webhook.secret not in client.get(f"/webhooks/{webhook.pk}").content.decode()  # once
        assert webhook.secret not in client.get("/webhooks").content.decode()
        assert webhook.secret not in str(dict(client.session))  # taken from the session when shown
        refused = client.post("/webhooks", {"url": "ftp://x", "events": []})
        assert refused.status_code == 400
        assert "Choose at least one event." in refused.content.decode()
        assert Webhook.objects.count() == 1

        end.statuses = [500]
        with django_capture_on_commit_callbacks(execute=True):
            event_emit("claim.created", buyer.organization_id, {"claimId": 1})
        delivery = Delivery.objects.get()
        log = client.get(f"/webhooks/{webhook.pk}").content.decode()
        assert re.search(rf'data-delivery="{delivery.pk}"', log)
        assert "500" in log
        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(f"/webhooks/{webhook.pk}", {"action": "redeliver", "delivery": delivery.pk}, follow=True)
        assert f"Delivery {delivery.pk} queued again." in done.content.decode()
        delivery.refresh_from_db()
        assert delivery.status == "succeeded"
        deleted = client.post(f"/webhooks/{webhook.pk}", {"action": "delete"}, follow=True)
        assert f"Webhook {webhook.pk} deleted" in deleted.content.decode()
        assert not Webhook.objects.exists()


def test_the_portal_refuses_what_the_api_refuses(client, sub_buyer, buyer):
    """A SubBuyer (no grant) gets the 403 page; another tenant's webhook is a 404 page."""
    hook = webhook_create(acting_user=buyer, url="http://127.0.0.1:9/h", events=["claim.created"])
    client.force_login(sub_buyer)
    assert client.get("/webhooks").status_code == 403
    assert client.post("/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["claim.created"]}).status_code == 403
    blue = OrganizationFactory(name="Blue Buyers", organization_type=OrganizationType.BUYER)
    client.force_login(UserFactory(email="blue@example.com", role="Buyer", organization=blue))
    assert client.get(f"/webhooks/{hook.pk}").status_code == 404
    assert client.post(f"/webhooks/{hook.pk}", {"action": "delete"}).status_code == 404
    assert Webhook.objects.filter(pk=hook.pk).exists()
