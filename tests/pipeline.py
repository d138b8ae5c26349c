"""The whole counting pipeline on the in-memory fake: the real tracker service, stream records as Lambda would
deliver them, the real stream consumer and the real ranking run, each call on an injected clock.

No moto, no server: fast enough for property tests over thousands of interleavings, and every DynamoDB call
can be failed on purpose through ``FakeDynamoDB.before_call``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from mostread import caches
from mostread.article_models import Article
from mostread.config import Settings, settings
from mostread.dal import catalog, published
from mostread.dal.client import Db
from mostread.dal.views import EngagedOutcome, RecordedView, mark_engaged, put_view
from mostread.models import ViewIn, ViewsAccepted
from mostread.services.catalog import catalog_version
from mostread.services.ingest import IngestResult, ingest_records
from mostread.services.ranking import RunOptions, RunReport, run_ranking
from mostread.services.tracking import Reader, record_views
from mostread_dev.fake_dynamodb import FakeDynamoDB, fake_indexes
from mostread_dev.template import load_template

from tests.harness import CHROME, Clock

TABLE = "mostread-fake"
SALT = bytes(range(32))

Record = dict[str, Any]


class FakePipeline:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, clock: Clock, **environment: str) -> None:
        views_table = next(spec for spec in load_template().tables() if spec.logical_id == "ViewsTable")
        self.fake = FakeDynamoDB(fake_indexes(views_table.create_kwargs))
        self.db = Db(self.fake, TABLE)
        self.clock = clock
        self.stream: list[Record] = []
        self._sequence = itertools.count(1)
        self._runs = itertools.count(1)
        self.configure(monkeypatch, **environment)

    def configure(self, monkeypatch: pytest.MonkeyPatch, **environment: str) -> Settings:
        """Set the functions' environment (template defaults unless given), as a redeploy would."""
        monkeypatch.setenv("TABLE_NAME", TABLE)
        monkeypatch.setenv("SALTS_TABLE_NAME", TABLE + "-salts")
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        caches.reset()  # a deploy starts new containers
        return settings()

    # -- the article page ------------------------------------------------------------------------------------

    def view(
        self,
        article_id: str,
        visitor: int = 1,
        *,
        event_id: str | None = None,
        ref: str | None = None,
        address: int | None = None,
    ) -> ViewsAccepted:
        """One page view by visitor ``n``: a User-Agent of its own behind address ``address`` (by default an
        address of its own). User-Agents repeat every 997 visitors: crawler detection costs ~1 ms per new one."""
        ip = f"198.51.{(address or visitor) // 250 % 250}.{(address or visitor) % 250}"
        reader = Reader(ip, f"{CHROME} v{visitor % 997}", {})
        view = ViewIn(article_id=article_id, event_id=event_id, ref=ref)
        return record_views([view], reader, self.clock(), salt_for_day=lambda *_: SALT, store=self._store)

    def engaged(self, article_id: str, event_id: str, visitor: int = 1, *, address: int | None = None) -> ViewsAccepted:
        """The tracker's engaged report for the page view ``event_id``, sent by visitor ``n`` (from any address)."""
        ip = f"198.51.{(address or visitor) // 250 % 250}.{(address or visitor) % 250}"
        reader = Reader(ip, f"{CHROME} v{visitor % 997}", {})
        view = ViewIn(article_id=article_id, event_id=event_id, engaged=True)
        return record_views([view], reader, self.clock(), salt_for_day=lambda *_: SALT, engage=self._engage)

    def _engage(self, event_key: str, article_id: str, received_ms: int) -> EngagedOutcome:
        outcome = mark_engaged(event_key, article_id, received_ms, self.db)
        if outcome == "accepted":
            self._record("MODIFY", f"view#{event_key}")
        return outcome

    def _record(self, event_name: str, pk: str) -> None:
        key = {"pk": {"S": pk}, "sk": {"S": "-"}}
        item = self.fake.get_item(TableName=TABLE, Key=key)["Item"]
        sequence = f"{next(self._sequence):021d}"
        self.stream.append(
            {
                "eventID": f"event-{sequence}",
                "eventName": event_name,
                "dynamodb": {"Keys": key, "NewImage": item, "SequenceNumber": sequence},
            }
        )

    def _store(self, recorded: RecordedView) -> bool:
        if not put_view(recorded, self.db):
            return False
        self._record("INSERT", f"view#{recorded.view.event_key}")
        return True

    # -- the stream and the schedule --------------------------------------------------------------------------

    def take_stream(self) -> list[Record]:
        records, self.stream = self.stream, []
        return records

    def deliver(self, records: list[Record] | None = None) -> IngestResult:
        batch = self.take_stream() if records is None else records
        return ingest_records(self.db, batch, self.clock)

    def rank(
        self, *, deliver: bool = True, owner: str | None = None, monotonic: Callable[[], float] | None = None
    ) -> RunReport:
        if deliver:
            self.deliver()
        options = RunOptions(owner=owner or f"run-{next(self._runs)}")
        if monotonic is not None:
            options = replace(options, monotonic=monotonic)
        return run_ranking(self.db, settings(), self.clock(), options)

    # -- the CMS and the read path -----------------------------------------------------------------------------

    def register(
        self, article_id: str, section: str = "politics", published_at: str = "2026-11-27T08:00:00+09:00"
    ) -> None:
        article = Article(
            article_id=article_id,
            title=f"기사 {article_id}",
            url=f"https://news.example.kr/{article_id}",
            section=section,
            published_at=published_at,
        )
        catalog.put_article(self.db, article, catalog_version(article.model_dump()), self.clock())

    def unregister(self, article_id: str) -> None:
        catalog.delete_article(self.db, article_id, self.clock())

    def counts(self, article_id: str) -> dict[str, int]:
        counts, _ = published.get_counts_of(self.db, article_id)
        return dict(zip(("1h", "24h", "7d"), counts or [0, 0, 0], strict=True))

    def listed(self, kind: str = "most_read", window: str = "24h", section: str | None = None) -> list[tuple[str, int]]:
        document = published.get_list(self.db, kind, window, section)
        return [(item["article_id"], item["views"]) for item in document["items"]] if document else []

    def published_state(self) -> dict[str, Any]:
        """Everything the read path serves, for comparing two histories."""
        documents = {}
        for item in self.fake.items(TABLE, "list#"):
            documents[item["pk"]["S"]] = published.get_document(self.db, item["pk"]["S"])
        counts = {}
        for item in self.fake.items(TABLE, "counts#"):
            if item["pk"]["S"] != "counts#latest-run":
                document = published.get_document(self.db, item["pk"]["S"])
                assert document is not None
                counts.update(document["counts"])
        for document in documents.values():
            if document:
                document.pop("generated_at", None)
        return {"lists": documents, "counts": counts}

    def fail_writes(self, after: int, error: Callable[[], Exception]) -> None:
        """From the write after ``after`` successful ones on, every write raises ``error()``."""
        seen = itertools.count(1)

        def before(operation: str, _: dict[str, Any]) -> None:
            if operation in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem") and next(seen) > after:
                raise error()

        self.fake.before_call = before

    def heal(self) -> None:
        self.fake.before_call = None
