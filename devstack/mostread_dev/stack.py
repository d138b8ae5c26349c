"""``mostread dev``: the whole service on one machine, from template.yaml.

Start-up order, and why:
1. bind the HTTP port (a taken port fails before anything else starts);
2. start the DynamoDB-compatible server (DynamoDB Local boots for ~1.6 s, in parallel with step 3);
3. set the functions' environment and import every handler (~1 s of imports);
4. wait until DynamoDB answers, create the tables (and TTL) that are missing;
5. start the stream pump, serve HTTP, check that every route answers;
6. start the schedule (and the demo). Only then is ``mostread dev: http://HOST:PORT`` printed;
7. in the background, the template's SQS queues (the stream consumer's failure queue, in moto's server): nothing
   before the ready line needs them, and importing moto takes a second or two.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from mostread.clock import start_clock_at

from mostread_dev.api_client import ApiClient, ApiUnavailable
from mostread_dev.cors import cors_policy
from mostread_dev.demo_site import render_page
from mostread_dev.dynamodb_server import (
    ENGINE_VARIABLE,
    LOCAL_ACCESS_KEY,
    LOCAL_REGION,
    LOCAL_SECRET_KEY,
    DynamoDBServer,
    DynamoDBUnavailable,
    ensure_tables,
    external_dynamodb,
    local_client,
    start_dynamodb,
    wait_until_answering,
)
from mostread_dev.functions import (
    FunctionError,
    Functions,
    apply_environment,
    send_function_logs_to_stderr,
    shared_function_environment,
)
from mostread_dev.local_routes import local_routes
from mostread_dev.queues import LocalQueues, QueueUnavailable
from mostread_dev.scheduler import ScheduledRuns, Scheduler
from mostread_dev.server import FALLBACK_PATH, DevHttpServer, LocalApi, LocalPages
from mostread_dev.streams import StreamPump
from mostread_dev.template import FailureDestination, Template, TemplateError, load_template
from mostread_dev.traffic import DemoTraffic

log = logging.getLogger("mostread_dev.stack")

TABLE_NAME_PREFIX = "mostread-local-"
# Lists change whenever a developer asks for a ranking run; a browser should not keep them long.
LOCAL_CACHE_MAX_AGE = 5
FIRST_RUN_DELAY_SECONDS = 2.0
SELF_CHECK_ID = "mostread-selfcheck"
STATIC_DIR = Path(__file__).resolve().parent / "static"
# Never let a developer's real AWS identity or profile reach the handlers.
REMOVED_VARIABLES = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")


class StackError(RuntimeError):
    """The local stack cannot start."""


# What stops the start-up with a message rather than a traceback: a taken port, a missing engine, a template
# the stack cannot run, an endpoint that refuses us.
STARTUP_ERRORS = (StackError, DynamoDBUnavailable, FunctionError, TemplateError, OSError, BotoCoreError, ClientError)


@dataclass(frozen=True)
class DevOptions:
    host: str = "127.0.0.1"
    port: int = 3000
    rank_every: float = 60.0
    demo: bool = False
    dynamodb_endpoint: str | None = None
    # --start-at: (the instant the stack's clock starts from, the wall-clock time the command started)
    start_at: tuple[float, float] | None = None
    ingest_grace_seconds: int | None = None
    # --parameter Name=Value: template parameters set as `sam deploy --parameter-overrides` would set them
    parameters: tuple[tuple[str, str], ...] = ()


def local_table_names(template: Template) -> dict[str, str]:
    return {spec.logical_id: TABLE_NAME_PREFIX + spec.logical_id for spec in template.tables()}


def local_parameter_overrides(template: Template, rank_every: float) -> dict[str, str]:
    """Template parameters the local stack sets: one trusted proxy hop (so X-Forwarded-For simulates
    visitors) and a short cache lifetime, never longer than the ranking interval."""
    default_cache = int(template.parameter_defaults().get("CacheMaxAge", LOCAL_CACHE_MAX_AGE))
    cache_max_age = max(0, min(default_cache, LOCAL_CACHE_MAX_AGE, int(rank_every)))
    return {"TrustedProxyHops": "1", "CacheMaxAge": str(cache_max_age)}


def aws_environment(endpoint: str) -> dict[str, str]:
    """Fake credentials, a fixed region and the DynamoDB endpoint: the handlers' boto3 clients pick these up
    exactly as they pick up the real ones in Lambda."""
    return {
        "AWS_ACCESS_KEY_ID": LOCAL_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": LOCAL_SECRET_KEY,
        "AWS_REGION": LOCAL_REGION,
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": endpoint,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        # EMF metrics are CloudWatch's business; locally they would only flood the console.
        "POWERTOOLS_METRICS_DISABLED": os.environ.get("POWERTOOLS_METRICS_DISABLED", "true"),
    }


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def connect_host(host: str) -> str:
    """Where this machine reaches a server bound to ``host`` (a wildcard address is not one)."""
    return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104


class LocalStack:
    """Starts the parts of the local stack in order, connects them, and stops them."""

    def __init__(self, options: DevOptions, template: Template | None = None, say: Callable[[str], None] | None = None):
        self.options = options
        self.template = template or load_template()
        self._say = say or log.info
        self.table_names = local_table_names(self.template)
        self.routes = self.template.http_routes()
        self.schedules = self.template.schedules()
        self.consumers = self.template.stream_consumers()
        function_ids = {route.function_id for route in self.routes}
        function_ids |= {schedule.function_id for schedule in self.schedules}
        function_ids |= {consumer.function_id for consumer in self.consumers}
        self.functions = Functions(self.template, function_ids, LOCAL_REGION)
        self.runs = ScheduledRuns(self.schedules, self.functions.invoke, LOCAL_REGION)
        self.dynamodb: DynamoDBServer | None = None
        self.pump: StreamPump | None = None
        self.http: DevHttpServer | None = None
        self.scheduler: Scheduler | None = None
        self.demo: DemoTraffic | None = None
        self.queues: LocalQueues | None = None
        self.startup_seconds: float | None = None
        self.stream_arns: dict[str, str] = {}
        self.function_environment: dict[str, str] = {}
        self._serving = False

    @property
    def port(self) -> int:
        return self.http.port if self.http else self.options.port

    @property
    def url(self) -> str:
        return f"http://{url_host(self.options.host)}:{self.port}"

    @property
    def local_url(self) -> str:
        return f"http://{url_host(connect_host(self.options.host))}:{self.port}"

    # -- start and stop ---------------------------------------------------------------------------------

    def start(self) -> str:
        started = time.perf_counter()
        self.http = self._bind_http()
        self.http.api.domain_name = f"{self.options.host}:{self.port}"
        self.dynamodb = self._start_dynamodb()
        self._configure_functions(self.dynamodb.endpoint)
        self._prepare_tables(self.dynamodb)
        self.queues = LocalQueues(
            self.template.queues(),
            TABLE_NAME_PREFIX,
            moto_endpoint=self.dynamodb.endpoint if self.dynamodb.engine == "moto" else None,
        )
        self._start_stream_pump(self.dynamodb.endpoint)
        serve = threading.Thread(
            target=self.http.serve_forever, kwargs={"poll_interval": 0.1}, name="http", daemon=True
        )
        serve.start()
        self._serving = True
        self._check_every_route()
        self.scheduler = Scheduler(self.runs.run, self.options.rank_every, FIRST_RUN_DELAY_SECONDS)
        self.scheduler.start()
        if self.options.demo:
            self.demo = DemoTraffic(self.local_url, self.runs.run)
            self.demo.start()
        self.queues.start_in_background()
        self.startup_seconds = time.perf_counter() - started
        self._say(f"ready in {self.startup_seconds:.1f} s; ranking every {self.options.rank_every:g} s")
        return self.url

    def stop(self) -> None:
        """Everything down within a few seconds: threads get short joins, DynamoDB Local 1.5 s to exit."""
        for part in (self.demo, self.scheduler):
            if part is not None:
                part.stop(0.5)
        if self.http is not None:
            if self._serving:
                self.http.shutdown()
            self.http.server_close()
        if self.pump is not None:
            self.pump.stop(0.5)
        if self.queues is not None:
            self.queues.stop()
        if self.dynamodb is not None:
            self.dynamodb.stop()

    def _bind_http(self) -> DevHttpServer:
        host, port = self.options.host, self.options.port
        try:
            return DevHttpServer(host, port, self._local_api())
        except OSError as error:
            raise StackError(f"cannot listen on {host}:{port}: {error.strerror or error} (try --port)") from error

    def _start_dynamodb(self) -> DynamoDBServer:
        if self.options.dynamodb_endpoint:
            server = external_dynamodb(self.options.dynamodb_endpoint)
        else:
            server = start_dynamodb(os.environ.get(ENGINE_VARIABLE))
        self._say(f"DynamoDB: {server.description} at {server.endpoint}")
        return server

    def _configure_functions(self, endpoint: str) -> None:
        overrides = local_parameter_overrides(self.template, self.options.rank_every)
        if self.options.ingest_grace_seconds is not None:
            overrides["IngestGraceSeconds"] = str(self.options.ingest_grace_seconds)
        overrides.update(self.options.parameters)
        environment = shared_function_environment(
            self.template, self.functions.function_ids, self.table_names, overrides
        )
        apply_environment({**aws_environment(endpoint), **environment}, remove=REMOVED_VARIABLES)
        self.function_environment = dict(environment)
        self.functions.load_all()
        send_function_logs_to_stderr()
        self._say("functions: " + ", ".join(self.functions.function_ids))

    def _prepare_tables(self, server: DynamoDBServer) -> None:
        waited = wait_until_answering(server, timeout=10.0 if server.engine == "external" else 30.0)
        created = ensure_tables(local_client(server.endpoint), self.template.tables(self.table_names))
        tables = ", ".join(f"{name}{' (created)' if name in created else ''}" for name in self.table_names.values())
        self._say(f"DynamoDB answered after {waited:.1f} s; tables: {tables}")

    def _start_stream_pump(self, endpoint: str) -> None:
        if not self.consumers:
            return
        client = local_client(endpoint)
        arns = {}
        for table_id in {consumer.table_logical_id for consumer in self.consumers}:
            name = self.table_names[table_id]
            arn = client.describe_table(TableName=name)["Table"].get("LatestStreamArn")
            if not arn:
                raise StackError(f"table {name} has no stream; its consumers cannot run (recreate the table)")
            arns[table_id] = arn
        self.stream_arns = dict(arns)
        streams = boto3.client(
            "dynamodbstreams",
            endpoint_url=endpoint,
            region_name=LOCAL_REGION,
            aws_access_key_id=LOCAL_ACCESS_KEY,
            aws_secret_access_key=LOCAL_SECRET_KEY,
            config=Config(retries={"max_attempts": 2}, connect_timeout=1, read_timeout=5),
        )
        self.pump = StreamPump(
            streams, arns, self.consumers, self.functions.invoke, send_failure=self._send_failure, region=LOCAL_REGION
        )
        self.runs.pump = self.pump
        self.pump.start()
        for consumer in self.consumers:
            retries = "forever" if consumer.maximum_retry_attempts < 0 else f"{consumer.maximum_retry_attempts} times"
            destination = f", then to {consumer.on_failure.logical_id}" if consumer.on_failure else ""
            self._say(
                f"stream: {self.table_names[consumer.table_logical_id]} -> {consumer.function_id}"
                f" (batches of up to {consumer.batch_size}, window {consumer.batching_window_seconds} s,"
                f" a failing batch retried {retries}{destination})"
            )

    def _send_failure(self, destination: FailureDestination, document: dict[str, Any]) -> None:
        """A given-up stream batch's on-failure record, to the local queue standing for the template's."""
        if destination.type != "SQS" or self.queues is None:
            raise QueueUnavailable(f"only SQS on-failure destinations run locally, not {destination.type}")
        self.queues.send(destination.logical_id, document)

    def _check_every_route(self) -> None:
        """Ask every route something harmless (no body, placeholder ids): any answer below 500 shows the
        handler imports, runs and reaches DynamoDB."""
        client = ApiClient(self.local_url, timeout=15)
        failures = []
        for route in self.routes:
            # API Gateway's $default route answers what no other route matches: ask it a path of its own
            path = (
                f"/{SELF_CHECK_ID}" if route.path == FALLBACK_PATH else re.sub(r"\{[^}]+\}", SELF_CHECK_ID, route.path)
            )
            method = "GET" if route.method == "ANY" else route.method
            try:
                status = client.request(method, path, headers={"user-agent": "mostread-dev self-check"}).status
            except ApiUnavailable as error:
                failures.append(f"{route.route_key}: {error}")
                continue
            if status >= 500:
                failures.append(f"{route.route_key}: HTTP {status}")
        if failures:
            raise StackError("routes that do not answer: " + "; ".join(failures))

    def _local_api(self) -> LocalApi:
        return LocalApi(
            self.routes,
            self.functions.invoke,
            cors=cors_policy(self.template),
            local_routes=local_routes(self),
            pages=LocalPages(render_page, [STATIC_DIR]),
        )

    def dynamodb_failure(self) -> str | None:
        """Why the DynamoDB Local process this stack started is gone, or None while it runs (or is not ours)."""
        process = self.dynamodb.process if self.dynamodb is not None else None
        if process is None or (code := process.exit_code()) is None:
            return None
        return f"DynamoDB Local exited with code {code}. {process.error_output(500)}".strip()


def configure_logging() -> None:
    """Request lines and the stack's own messages on stderr, one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d %(message)s", "%H:%M:%S"))
    root = logging.getLogger("mostread_dev")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


def run_dev(options: DevOptions, out: TextIO | None = None) -> int:
    """Run the stack in the foreground until SIGINT or SIGTERM; returns the exit code."""
    configure_logging()
    out = out or sys.stdout
    stopping = threading.Event()

    def stop_serving(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    # While starting, a signal must interrupt whatever blocks (waiting for Java): KeyboardInterrupt does that.
    signal.signal(signal.SIGTERM, _interrupt)
    stack: LocalStack | None = None
    code = 0
    if options.start_at is not None:
        start_clock_at(*options.start_at)
    try:
        stack = LocalStack(options)
        url = stack.start()
        signal.signal(signal.SIGINT, stop_serving)
        signal.signal(signal.SIGTERM, stop_serving)
        print(f"mostread dev: {url}", file=out, flush=True)
        while not stopping.wait(0.5):
            if failure := stack.dynamodb_failure():
                log.error("stopping: %s", failure)  # every route would answer 500 from here on
                code = 1
                break
    except KeyboardInterrupt:
        pass
    except STARTUP_ERRORS as error:
        log.error("cannot start: %s", error)
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if stack is not None:
            stack.stop()
    return code


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
