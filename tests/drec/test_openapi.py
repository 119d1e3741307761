"""The API documentation: a valid OpenAPI 3 document and a Swagger UI that needs no CDN."""

import re

from openapi_spec_validator import validate


def test_schema_is_valid_openapi_3(client, db):
    response = client.get("/swagger-json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate(schema)
    for path in ["/api/health", "/api/countrycode/list", "/api/device/fuel-type", "/api/sdgbenefit/code"]:
        assert path in schema["paths"], path


def test_swagger_ui_loads_only_local_assets(client, db):
    response = client.get("/swagger/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, "the page should load its script and style sheet"
    assert all(not source.startswith(("http://", "https://", "//")) for source in sources), sources
    # No inline script (the Content-Security-Policy allows none): its set-up is a script of its own.
    assert "<script>" not in html
    loaded = ""
    for source in sources:
        fetched = client.get(source.replace("&amp;", "&"))
        assert fetched.status_code == 200, source
        if not source.startswith("/static/"):
            loaded += fetched.content.decode()
    assert 'url: "/swagger\\u002Djson"' in loaded  # the schema it loads (JSON-escaped)


def test_schema_generation_has_no_warnings():
    """Colliding operation ids or unnamed enums confuse generated clients."""
    import subprocess
    import sys
    from pathlib import Path

    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
