"""Fixtures of the cluster tests: PostgreSQL and Redis from scripts/services, a migrated template database
cloned for each test, a fake LINE API, and a Cluster whose processes are stopped however the test ends
(their log tails are added to the report of a failed test)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.harness import (
    LINE_ACCESS_TOKEN,
    Cluster,
    ClusterError,
    Database,
    PrivateRedis,
    Services,
    services_from_env,
)
from tests.fakes.line_api import FakeLineApi

CLUSTERS = pytest.StashKey[list[Cluster]]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed:
        for cluster in item.stash.get(CLUSTERS, []):
            report.sections.append((f"{cluster.name}: process logs ({cluster.log_dir})", cluster.logs_report()))


@pytest.fixture(scope="session")
def cluster_services() -> Services:
    try:
        return services_from_env()
    except ClusterError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def migrated_template(cluster_services: Services) -> Iterator[Database]:
    """One database migrated once per session; each test gets a copy (a migration takes ~15 s, a copy < 1 s)."""
    workdir = Path(tempfile.mkdtemp(prefix="rc-cluster-template-"))
    template = Database.create(cluster_services.pg_admin_url, prefix="rc_cluster_template")
    try:
        with FakeLineApi(access_token=LINE_ACCESS_TOKEN) as line:
            Cluster(workdir, database=template, redis_url=cluster_services.redis_url, line=line).migrate()
        yield template
    finally:
        template.drop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def line() -> Iterator[FakeLineApi]:
    """The fake LINE API the cluster's processes call (LINE_ACCESS_TOKEN is the channels' token)."""
    with FakeLineApi(access_token=LINE_ACCESS_TOKEN) as fake:
        yield fake


def register(request: pytest.FixtureRequest, cluster: Cluster) -> None:
    """Show ``cluster``'s process logs in the report if the test fails."""
    request.node.stash.setdefault(CLUSTERS, []).append(cluster)


def _cluster_on(request: pytest.FixtureRequest, tmp_path: Path, services: Services, template: Database,
                line: FakeLineApi, redis_url: str) -> Iterator[Cluster]:
    database = Database.create(services.pg_admin_url, template=template)
    made = Cluster(tmp_path, database=database, redis_url=redis_url, line=line)
    register(request, made)
    try:
        yield made
    finally:
        try:
            made.close()
        finally:
            database.drop()


@pytest.fixture
def cluster(request: pytest.FixtureRequest, tmp_path: Path, cluster_services: Services,
            migrated_template: Database, line: FakeLineApi) -> Iterator[Cluster]:
    """A set-up on a migrated database of its own (shared PostgreSQL and Redis); no processes started yet."""
    yield from _cluster_on(request, tmp_path, cluster_services, migrated_template, line, cluster_services.redis_url)


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis().start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_cluster(request: pytest.FixtureRequest, tmp_path: Path, cluster_services: Services,
                  migrated_template: Database, line: FakeLineApi, private_redis: PrivateRedis) -> Iterator[Cluster]:
    """The cluster fixture's set-up, on a Redis of the test's own (to stop and start)."""
    yield from _cluster_on(request, tmp_path, cluster_services, migrated_template, line, private_redis.url)

