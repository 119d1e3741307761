"""Production settings: refuse to start without a secret, and pass Django's deploy checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "DREC_"))}
    environment.update(DJANGO_SETTINGS_MODULE="drec.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_production_without_secret_key_refuses_to_start():
    result = manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_never_falls_back_to_a_generated_development_secret(tmp_path):
    """The secrets generated into var/ are for DEBUG only (tests/drec/test_safe_defaults.py)."""
    result = manage("check", DJANGO_DEBUG="0", DREC_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_deploy_check_is_clean_in_production():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", DJANGO_DEBUG="0", DJANGO_SECRET_KEY=secrets.token_urlsafe(64)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert result.stderr.strip() == ""


def test_a_bad_boolean_is_a_clear_error():
    result = manage("check", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr


def test_production_static_files_collect_with_the_manifest(tmp_path):
    """whitenoise's manifest storage fails on a missing referenced file (fonts, source maps)."""
    result = manage(
        "collectstatic",
        "--noinput",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_STATIC_ROOT=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    for name in ["vendor/bootstrap/css/bootstrap.min.css", "vendor/bootstrap-icons/font/fonts/bootstrap-icons.woff2"]:
        assert f'"{name}"' in manifest
    assert list(tmp_path.glob("django_htmx/htmx-2.min.*.js"))
