"""A real PostgreSQL for the remote tests: an embedded server (pgserver) the suite starts itself,
or the server at ``AGENTSYNC_TEST_DATABASE_URL``. Each test gets a database of its own."""

from __future__ import annotations

import os
import tempfile
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from tests.remotes.gateway import Gateway, authenticator_url, install_shim, project_keys, user_token


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    given = os.environ.get("AGENTSYNC_TEST_DATABASE_URL")
    if given:
        yield given
        return
    import pgserver

    folder = tempfile.mkdtemp(prefix="agentsync-pg-")
    server = pgserver.get_server(folder, cleanup_mode="delete")  # type: ignore[attr-defined]
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


def database_url(base: str, name: str) -> str:
    """``base`` (a postgresql:// URL, as users give it) with its database replaced by ``name``."""
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"AGENTSYNC_TEST_DATABASE_URL must be a postgresql:// URL, not {base!r}")
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """A fresh, empty database; dropped afterwards."""
    name = f"agentsync_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(postgres_url, name)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def connect(url: str, *, autocommit: bool = True) -> psycopg.Connection[Any]:
    return psycopg.connect(url, autocommit=autocommit)


@pytest.fixture
def remote(database: str) -> str:
    """A fresh database with every migration applied: the remote's URL."""
    from agentsync.remotes import migrations

    with connect(database) as connection:
        migrations.migrate(connection)
    return database


JWT_SECRET = "test-project-jwt-secret-with-at-least-32-characters"


@dataclass
class SupabaseProject:
    """A Supabase-like project for tests: a migrated database with the Supabase shim, and the
    PostgREST-compatible gateway in front of it; ``keys`` are its anon and service_role keys."""

    database: str
    gateway: Gateway
    keys: dict[str, str]

    @property
    def url(self) -> str:
        return self.gateway.url

    def user(self, email: str, *, expires_in: int = 3600) -> tuple[str, str]:
        """(user id, access token) of a new signed-in user."""
        user_id = str(uuid.uuid4())
        return user_id, user_token(JWT_SECRET, user_id, email, expires_in=expires_in)

    def add_member(self, project: str, user_id: str, email: str, role: str = "writer") -> None:
        with connect(self.database) as connection:
            connection.execute("SELECT agentsync.add_member(%s, %s, %s, %s)", (project, user_id, email, role))


@pytest.fixture
def supabase(database: str) -> Iterator[SupabaseProject]:
    from agentsync.remotes import migrations

    install_shim(database)
    with connect(database) as connection:
        migrations.migrate(connection)
    with Gateway(authenticator_url(database), JWT_SECRET) as gateway:
        yield SupabaseProject(database, gateway, project_keys(JWT_SECRET))
