"""The database a benchmark runs on: its own, on the server of ``.var/env`` (or ``.env``), recreated every run."""

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def point_url(db_name: str) -> tuple[str, dict[str, Any]]:
    """Point ``DATABASE_URL`` at ``db_name`` on the configured server; returns it and the admin database's config."""
    import environ

    env = environ.Env()
    for env_file in (ROOT / ".env", ROOT / ".var" / "env"):
        if env_file.exists():
            env.read_env(str(env_file), overwrite=False)
    base = env("DATABASE_URL").rpartition("/")[0]
    os.environ["DATABASE_URL"] = f"{base}/{db_name}"
    return os.environ["DATABASE_URL"], environ.Env.db_url_config(f"{base}/postgres")


def recreate(admin: dict[str, Any], db_name: str) -> None:
    """Drop ``db_name`` (closing its connections) and create it empty."""
    from urllib.parse import unquote

    import psycopg

    with psycopg.connect(dbname="postgres", user=admin["USER"], host=unquote(admin["HOST"]),
                         port=admin["PORT"] or None, password=admin["PASSWORD"] or None, autocommit=True) as conn:  # fmt: skip
        conn.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {db_name}")
