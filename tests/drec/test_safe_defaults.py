"""Safe by default (issue "One door"): ``make run`` served DEBUG on 0.0.0.0:3040 with the
development secret key of the repository (also the JWT secret) and a super-admin password the
README published, so anyone reaching the port was super admin and could forge signed links.

Now it listens on 127.0.0.1 (HOST=0.0.0.0 opens it), the development secrets are generated per
checkout into var/ (0600), and the first super admin gets a generated password, printed once,
that must be changed at the first sign-in."""

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

from accounts.models import User
from accounts.services import admin_ensure

ROOT = Path(__file__).resolve().parents[2]


def settings_of(var_dir: Path, **env: str) -> dict:
    """SECRET_KEY and DREC_JWT_SECRET of a fresh process with nothing configured."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DREC_", "DATABASE_URL"))}
    environment.update(DJANGO_SETTINGS_MODULE="drec.settings", DREC_VAR_DIR=str(var_dir), **env)
    code = "import json; from django.conf import settings as s; print(json.dumps([s.SECRET_KEY, s.DREC_JWT_SECRET]))"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return dict(zip(("secret_key", "jwt_secret"), json.loads(result.stdout.strip().splitlines()[-1]), strict=True))


def test_development_secrets_are_generated_per_checkout_into_var_never_taken_from_the_repo(tmp_path):
    first = settings_of(tmp_path / "one")
    again = settings_of(tmp_path / "one")
    other = settings_of(tmp_path / "two")

    assert first == again  # generated once, then kept
    assert first["secret_key"] != other["secret_key"]  # no two checkouts share one
    assert first["secret_key"] != first["jwt_secret"]
    for name in ("secret_key", "jwt_secret"):
        path = tmp_path / "one" / name
        assert path.read_text().strip() == first[name]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(first[name]) >= 64
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in tracked.split():
        if name.endswith((".py", ".sh", ".md", ".toml", ".txt")) and (ROOT / name).is_file():
            text = (ROOT / name).read_text(errors="ignore")
            assert first["secret_key"] not in text
            assert "django-" + "insecure" not in text, name  # the key prefix of the old development key
            assert "Solar-Admin-" + "2026" not in text, name  # the password the README used to publish


def test_the_first_super_admin_gets_a_generated_password_shown_once(db, capsys, settings):
    from django.core.management import call_command

    settings.DREC_ADMIN_EMAIL = "owner@drec.example"
    settings.DREC_ADMIN_PASSWORD = None
    call_command("seed")
    first = capsys.readouterr().out
    call_command("seed")
    second = capsys.readouterr().out

    password = re.search(r"generated password\s+(\S+)\s", first).group(1)
    admin = User.objects.get(email="owner@drec.example")
    assert admin.check_password(password)
    assert admin.must_change_password
    assert len(password) >= 20
    assert password not in second
    assert "generated password" not in second


def test_a_generated_password_must_be_changed_before_anything_else(db, api_client):
    admin, _ = admin_ensure(email="owner@drec.example", password="Gen3rated-Pass", generated=True)
    token = api_client.post("/api/auth/login", {"username": admin.email, "password": "Gen3rated-Pass"}, format="json")
    assert token.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['accessToken']}")
    portal = Client()
    portal.force_login(admin)

    refused = api_client.get("/api/admin/organizations")
    assert refused.status_code == 403
    assert "change it first" in refused.json()["message"]
    assert api_client.get("/api/user/me").status_code == 200
    assert portal.get("/dashboard")["Location"] == "/user/profile?tab=password"
    assert portal.get("/django-admin/")["Location"] == "/user/profile?tab=password"
    assert portal.get("/user/profile?tab=password").status_code == 200

    changed = api_client.put(
        "/api/user/password",
        {"oldPassword": "Gen3rated-Pass", "newPassword": "Own-Choice-2027", "confirmPassword": "Own-Choice-2027"},
        format="json",
    )
    assert changed.status_code == 200
    admin.refresh_from_db()
    assert not admin.must_change_password
    portal.force_login(admin)
    assert portal.get("/dashboard").status_code == 200


# --- make run itself ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _outward_address() -> str | None:
    """An address of this machine other than loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def pg_dir():
    """Where `make run` keeps its local PostgreSQL for the test: a folder the 'postgres' user can
    reach (pytest's own temporary folders are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="drec-run-"))
    folder.chmod(0o755)
    yield folder / "postgres"
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def fresh_checkout(tmp_path):
    """The files of this checkout a clone would have (tracked, or new and not ignored: no var/,
    no database file), with its virtualenv."""
    copy = tmp_path / "checkout"
    listing = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    tracked = subprocess.run(listing, cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            target = copy / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((ROOT / name).read_bytes())
            target.chmod((ROOT / name).stat().st_mode)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    return copy


def _make_run(checkout: Path, pg_dir: Path, port: int) -> tuple[subprocess.Popen, list[str]]:
    """scripts/run.sh as on a fresh clone: no DATABASE_URL, so its own PostgreSQL."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DREC_", "DATABASE_URL"))}
    environment.update(DREC_PG_DIR=str(pg_dir), PORT=str(port), WEB_CONCURRENCY="1", GUNICORN_THREADS="2")
    environment["DREC_LEDGER_KEY_FILE"] = str(checkout / "var" / "ledger.pem")
    process = subprocess.Popen(
        ["scripts/run.sh"],
        cwd=checkout,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        lines.append(line)
        if "D-REC portal on" in line:
            while time.monotonic() < deadline and not _reachable("127.0.0.1", port):
                time.sleep(0.2)
            return process, lines
    _stop(process)
    raise AssertionError("make run did not start:\n" + "".join(lines[-40:]))


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _postgres_running(pg_dir: Path) -> bool:
    return (pg_dir / "data" / "postmaster.pid").exists()


def _call(port: int, method: str, path: str, body: dict | None = None, token: str = "") -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own server)
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_make_run_on_a_fresh_clone_boots_its_own_postgresql_on_loopback_with_a_generated_admin_password(
    fresh_checkout, pg_dir
):
    """Without DATABASE_URL: its own PostgreSQL; 127.0.0.1 only; the admin's password printed once
    and to be changed first; the server stopped with it; nothing printed again the next time."""
    port = _free_port()
    process, output = _make_run(fresh_checkout, pg_dir, port)
    try:
        text = "".join(output)
        assert f"in {pg_dir}" in text  # PostgreSQL, made and started by make run
        assert (pg_dir / "data" / "PG_VERSION").exists()
        assert f"D-REC portal on http://127.0.0.1:{port}/" in text
        assert _reachable("127.0.0.1", port)
        outward = _outward_address()
        if outward:
            assert not _reachable(outward, port), f"make run answers on {outward}"
        password = re.search(r"admin@drec\.local created with the generated password\s+(\S+)\s", text).group(1)
        status, body = _call(port, "POST", "/api/auth/login", {"username": "admin@drec.local", "password": password})
        assert status == 200
        token = body["accessToken"]
        assert _call(port, "GET", "/api/admin/organizations", token=token)[0] == 403  # change it first
        change = {"oldPassword": password, "newPassword": "Own-Choice-2027", "confirmPassword": "Own-Choice-2027"}
        assert _call(port, "PUT", "/api/user/password", change, token=token)[0] == 200
    finally:
        _stop(process)
    for name in ("secret_key", "jwt_secret"):
        assert stat.S_IMODE((fresh_checkout / "var" / name).stat().st_mode) == 0o600

    assert not _postgres_running(pg_dir)  # stopped with make run
    process, output = _make_run(fresh_checkout, pg_dir, port)
    _stop(process)
    again = "".join(output)
    assert password not in again
    assert "Super admin admin@drec.local: present." in again
