"""The template's SQS queues on the local stack (the stream consumer's on-failure queue), in moto's server.

moto's ``ThreadedMotoServer`` runs in this process and is asked for SQS only (with the moto fallback for DynamoDB,
the same server answers both). It speaks SQS's own protocol, so the stream pump sends Lambda's on-failure records
to it and ``mostread replay-failed`` reads them with the same boto3 calls it makes against AWS.

Importing moto's server takes about 1.5 s of CPU, so the queues start in the background once the stack is ready;
whatever needs them waits for them (``wait``). Without moto[server] (it is a dev dependency) there are no local
queues: the reason is kept in ``error``, and a batch the stream consumer gives up stays pending instead of being lost.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import boto3
from botocore.config import Config

from mostread_dev.dynamodb_server import (
    LOCAL_ACCESS_KEY,
    LOCAL_REGION,
    LOCAL_SECRET_KEY,
    DynamoDBServer,
    DynamoDBUnavailable,
    start_moto_server,
)
from mostread_dev.template import QueueSpec

log = logging.getLogger("mostread_dev.queues")
READY_TIMEOUT_SECONDS = 30.0


class QueueUnavailable(RuntimeError):
    """The local queues are not running (moto[server] missing, or still starting)."""


def sqs_client(endpoint: str) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
        config=Config(retries={"max_attempts": 2}, connect_timeout=2, read_timeout=10),
    )


class LocalQueues:
    def __init__(
        self,
        specs: Sequence[QueueSpec],
        name_prefix: str,
        moto_endpoint: str | None = None,
        start_server: Callable[[], DynamoDBServer] = start_moto_server,
    ) -> None:
        """``moto_endpoint``: a moto server already running (the DynamoDB fallback) to create the queues in."""
        self._specs = list(specs)
        self._prefix = name_prefix
        self._moto_endpoint = moto_endpoint
        self._start_server = start_server
        self._server: DynamoDBServer | None = None
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._client: Any = None
        self.endpoint: str | None = None
        self.urls: dict[str, str] = {}
        self.arns: dict[str, str] = {}
        self.error: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self._specs)

    def name(self, logical_id: str) -> str:
        return self._prefix + logical_id

    def start_in_background(self) -> None:
        if not self._specs:
            self._ready.set()
            return
        threading.Thread(target=self.start, name="local-queues", daemon=True).start()

    def start(self) -> None:
        """Start the server (unless one is given) and create every queue; never raises (see ``error``)."""
        try:
            with self._lock:
                if self._moto_endpoint is None:
                    self._server = self._start_server()
                    self.endpoint = self._server.endpoint
                    if self._stopped.is_set():  # the stack stopped while the server was starting
                        self.stop()
                        self.error = "stopped"
                        return
                else:
                    self.endpoint = self._moto_endpoint
                self._client = sqs_client(self.endpoint)
                for spec in self._specs:
                    created = self._client.create_queue(
                        QueueName=self.name(spec.logical_id), Attributes=spec.attributes
                    )
                    url = created["QueueUrl"]
                    self.urls[spec.logical_id] = url
                    attributes = self._client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
                    self.arns[spec.logical_id] = attributes["Attributes"]["QueueArn"]
            log.info("queues: %s at %s", ", ".join(self.name(spec.logical_id) for spec in self._specs), self.endpoint)
        except DynamoDBUnavailable:
            self.error = "moto[server] is not installed (pip install -e '.[dev]'): no local failure queue"
            log.warning("%s", self.error)
        except Exception as error:  # the stack keeps serving without them; the reason is reported
            self.error = f"the local queues did not start: {error}"
            log.exception("the local queues did not start")
        finally:
            self._ready.set()

    def wait(self, timeout: float = READY_TIMEOUT_SECONDS) -> bool:
        """True once the queues are up (waiting for them to start); False when they are not available."""
        return self._ready.wait(timeout) and self.error is None and bool(self.urls)

    def url(self, logical_id: str) -> str:
        if not self.wait():
            raise QueueUnavailable(self.error or "the local queues are still starting")
        if logical_id not in self.urls:
            raise QueueUnavailable(f"the template has no queue {logical_id}")
        return self.urls[logical_id]

    def send(self, logical_id: str, document: dict[str, Any]) -> None:
        self._client_or_raise().send_message(QueueUrl=self.url(logical_id), MessageBody=json.dumps(document))

    def depth(self, logical_id: str) -> dict[str, int]:
        attributes = self._client_or_raise().get_queue_attributes(
            QueueUrl=self.url(logical_id),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return {
            "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        }

    def describe(self) -> dict[str, Any]:
        """For ``/_local/status`` and ``/_local/environment``: where the queues are, or why there are none."""
        return {
            "endpoint": self.endpoint,
            "error": self.error,
            "starting": not self._ready.is_set(),
            "queues": {
                logical_id: {"name": self.name(logical_id), "url": url, "arn": self.arns.get(logical_id)}
                for logical_id, url in self.urls.items()
            },
        }

    def stop(self) -> None:
        self._stopped.set()
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def _client_or_raise(self) -> Any:
        if not self.wait():
            raise QueueUnavailable(self.error or "the local queues are still starting")
        return self._client
