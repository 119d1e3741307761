"""docs/api-clients.md's receiver example, unchanged, as the endpoint of a real subscription:
it accepts what the platform signs, once per event, and refuses a body changed on the way."""

import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from acl.services import api_user_permission_verify
from webhooks.models import Delivery
from webhooks.services import body_of, signed_headers, webhook_create

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-clients.md"


def example_code() -> str:
    section = DOC.read_text().split("## Receiver example (Python)", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_documented_receiver_accepts_a_delivery_and_refuses_a_forgery(
    settings, api_user, tmp_path, free_tcp_port, django_capture_on_commit_callbacks
):
    settings.DREC_WEBHOOK_ALLOW_PRIVATE = True
    (tmp_path / "receiver.py").write_text(example_code())
    url = f"http://127.0.0.1:{free_tcp_port}/drec-events"
    webhook = webhook_create(acting_user=api_user, url=url, events=["permission.changed"])
    server = subprocess.Popen(
        [sys.executable, "receiver.py"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PORT": str(free_tcp_port), "DREC_WEBHOOK_SECRET": webhook.secret},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):  # until it listens
            try:
                urllib.request.urlopen(urllib.request.Request(url, data=b"{}"), timeout=1)
            except urllib.error.HTTPError:
                break  # 400: up, and refusing an unsigned body
            except OSError:
                time.sleep(0.05)
        with django_capture_on_commit_callbacks(execute=True):
            api_user_permission_verify(api_user_id=api_user.api_user.api_user_id, status="Active")
        delivery = Delivery.objects.get()
        assert [a.status_code for a in delivery.attempt_log.all()] == [204]

        # The same event with its data changed on the way, under the original signature.
        headers = signed_headers(webhook, delivery.event, body_of(delivery.event), delivery.created_at)
        forged = body_of(delivery.event).replace(b'"Active"', b'"Deactive"')
        request = urllib.request.Request(url, data=forged, headers=headers)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)  # noqa: S310 (loopback http)
        assert refused.value.code == 400
    finally:
        server.terminate()
        output, _errors = server.communicate(timeout=10)
    assert output.splitlines() == [
        f'permission.changed {{"apiUserId": "{api_user.api_user.api_user_id}", "permissionStatus": "Active"}}'
    ]
