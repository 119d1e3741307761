"""docs/api-clients.md's complete example runs, unchanged, against a live server."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from accounts import services
from tests.factories import api_user_create

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-clients.md"


def example_code() -> str:
    text = DOC.read_text()
    section = text.split("## Complete example (Python)", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def run_example(tmp_path, live_server, settings, api_user, private_pem: bytes) -> dict:
    # The token endpoint expects the audience under its configured public address: the live server's here.
    settings.DREC_PUBLIC_URL = live_server.url
    (tmp_path / "example.py").write_text(example_code())
    (tmp_path / "private_key.pem").write_bytes(private_pem)
    env = {
        **os.environ,
        "DREC_URL": live_server.url,
        "DREC_API_USER_ID": str(api_user.api_user.api_user_id),
        "DREC_PRIVATE_KEY": str(tmp_path / "private_key.pem"),
    }
    result = subprocess.run(
        [sys.executable, "example.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_documented_example_gets_a_token_with_a_generated_rsa_key(live_server, settings, tmp_path):
    api_user = api_user_create(email="docs@example.com", organization_name="Docs Integrator")
    _key, private_pem = services.api_user_key_generate(api_user=api_user.api_user)
    me = run_example(tmp_path, live_server, settings, api_user, private_pem)
    assert me == {"email": "docs@example.com", "role": "ApiUser", "api_user_id": str(api_user.api_user.api_user_id)}


def test_the_documented_example_works_with_an_uploaded_ed25519_key(live_server, settings, tmp_path):
    api_user = api_user_create(email="docs-ed@example.com", organization_name="Docs Ed25519")
    private_key = ed25519.Ed25519PrivateKey.generate()
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    services.api_user_key_add(api_user=api_user.api_user, public_key_pem=public_pem.decode())
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert run_example(tmp_path, live_server, settings, api_user, private_pem)["email"] == "docs-ed@example.com"
