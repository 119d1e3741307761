"""The test's PostgreSQL server, stopped and started by the fault suite.

`make test` starts a throwaway server (scripts/with-postgres.sh) and names its folder and
binaries in ``DREC_TEST_PG_DIR`` and ``DREC_TEST_PG_BIN``; the cluster is ``<folder>/data``.
PostgreSQL refuses to run as root: as root, its commands run as the ``postgres`` user.
"""

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from django.db import connections


def _pg_ctl(*arguments: str) -> None:
    folder, binaries = os.environ.get("DREC_TEST_PG_DIR"), os.environ.get("DREC_TEST_PG_BIN")
    if not folder or not binaries:
        pytest.fail(
            "The fault suite restarts the test's PostgreSQL: run it with `make test` or `make test-faults`, "
            "or set DREC_TEST_PG_DIR (the folder holding data/) and DREC_TEST_PG_BIN (its pg_ctl's folder)."
        )
    command = [str(Path(binaries) / "pg_ctl"), "-D", str(Path(folder) / "data"), "-w", "-t", "60", *arguments]
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True)


def stop() -> None:
    """Stop the server at once: every session is ended, open transactions roll back."""
    _pg_ctl("-m", "fast", "stop")
    connections.close_all()


def start() -> None:
    """Start it again with the options it was started with, which the server writes to
    ``postmaster.opts`` (``pg_ctl start`` does not read them back; only ``restart`` does)."""
    folder = Path(os.environ["DREC_TEST_PG_DIR"])
    words = shlex.split((folder / "data" / "postmaster.opts").read_text())
    options = words[words.index("-D") + 2 :]  # after the binary and its data folder
    _pg_ctl("start", "-l", str(folder / "server.log"), "-o", shlex.join(options))
