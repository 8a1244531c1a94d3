"""PostgreSQL backups with ``pg_dump``'s custom format (compressed) and ``pg_restore``.

The password goes to the tools through ``PGPASSWORD``, never on their command line (where any
user of the machine could read it in the process list) nor in an error message.
"""

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from krakked_core.errors import BackupError

_TIMEOUT_SECONDS = 3600
_VERSION_TABLE_COPY = "COPY public.alembic_version"


def tools_installed() -> bool:
    return shutil.which("pg_dump") is not None and shutil.which("pg_restore") is not None


def dump(url: str, target: Path) -> None:
    _run("pg_dump", ["--format=custom", "--no-owner", f"--file={target}"], url)


def check(backup: Path) -> None:
    """Raise unless ``pg_restore`` can read the archive's table of contents."""
    _run("pg_restore", ["--list", str(backup)], None)


def revisions(backup: Path) -> frozenset[str]:
    """The schema revisions the archive's alembic_version table holds."""
    script = _run("pg_restore", ["--data-only", "--table=alembic_version", "--file=-", str(backup)])
    lines = iter(script.splitlines())
    for line in lines:
        if line.startswith(_VERSION_TABLE_COPY):
            break
    found = []
    for line in lines:
        if line == "\\.":
            break
        found.append(line.strip())
    return frozenset(found)


def load(backup: Path, url: str) -> None:
    """Replace the database's objects with the archive's, in one transaction."""
    args = ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(backup)]
    _run("pg_restore", args, url)


def _run(tool: str, args: list[str], url: str | None = None) -> str:
    path = shutil.which(tool)
    if path is None:
        raise BackupError(f"{tool} is not installed: install the PostgreSQL client tools")
    env = dict(os.environ)
    argv = [path, *args]
    if url is not None:
        parsed = make_url(url)
        if parsed.password is not None:
            env["PGPASSWORD"] = str(parsed.password)
        argv.append(f"--dbname={_libpq_url(parsed)}")
    done = subprocess.run(  # noqa: S603 - argv is ours, never a shell string
        argv, env=env, capture_output=True, text=True, timeout=_TIMEOUT_SECONDS, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{tool} failed ({done.returncode}): {done.stderr.strip()[:500]}")
    return done.stdout


def _libpq_url(url: URL) -> str:
    """The URL libpq reads: no SQLAlchemy driver suffix, no password."""
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return plain.render_as_string(hide_password=False)
