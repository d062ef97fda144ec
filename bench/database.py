"""The bench's own PostgreSQL database, on the server DATABASE_URL names."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


class BenchDatabaseError(RuntimeError):
    pass


def bench_database_url(server_url: str, name: str) -> str:
    """``server_url`` with its database name replaced by ``name``."""
    parts = urlsplit(server_url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise BenchDatabaseError(
            "The benchmarks need PostgreSQL: set DATABASE_URL to a postgres:// address "
            f"(it is {parts.scheme or 'unset'}://…). The bench creates its own database on that server."
        )
    if not name.replace("_", "").isalnum():
        raise BenchDatabaseError(f"database name must be letters, digits and underscores: {name!r}")
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def _maintenance_connection(url: str):
    import psycopg2

    parts = urlsplit(url)
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    connection = psycopg2.connect(maintenance.replace("postgresql://", "postgres://", 1))
    connection.autocommit = True
    return connection


def database_recreate(url: str) -> None:
    """Drop the bench database named by ``url`` if it exists, and create it empty."""
    name = urlsplit(url).path.lstrip("/")
    connection = _maintenance_connection(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


def database_drop(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    connection = _maintenance_connection(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        connection.close()


def database_exists(url: str) -> bool:
    name = urlsplit(url).path.lstrip("/")
    connection = _maintenance_connection(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None
    finally:
        connection.close()


def tables_vacuum(*models) -> None:
    """``VACUUM ANALYZE`` the tables of these models on the bench's connection (autovacuum,
    which would do it in production, is off on the bench's machine). Outside a transaction."""
    from django.db import connection

    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
