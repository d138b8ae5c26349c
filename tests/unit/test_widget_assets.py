"""The embeddable assets in widget/: dist is a fresh build of src, within the size budget, and the
JavaScript keeps to the rules (no HTML sinks, beacon transport). When node is on PATH the sources
are also syntax-checked and the tracker is run against a fake page."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest
from mostread import assets

ROOT = Path(__file__).resolve().parents[2]
WIDGET = ROOT / "widget"
NODE = shutil.which("node")


def _load_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mostread_widget_build", WIDGET / "build.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build_mod = _load_build()


@pytest.fixture(scope="module")
def built() -> dict[str, bytes]:
    return build_mod.build()


def _src(name: str) -> str:
    return (WIDGET / "src" / name).read_text(encoding="utf-8")


def _dist(name: str) -> str:
    return (WIDGET.parent / "shared" / "mostread" / "static" / name).read_text(encoding="ascii")


def test_build_is_deterministic(built: dict[str, bytes]) -> None:
    assert build_mod.build() == built
    assert set(built) == {"tracker.v1.js", "widget.v1.js", "widget.v1.css"}


def test_dist_is_up_to_date(built: dict[str, bytes]) -> None:
    for name, data in built.items():
        path = WIDGET.parent / "shared" / "mostread" / "static" / name
        assert path.is_file(), f"{path} missing: run python widget/build.py"
        assert path.read_bytes() == data, f"{path} is stale: run python widget/build.py"


def test_sizes_within_budget(built: dict[str, bytes]) -> None:
    measured = build_mod.sizes(built)
    print("\n" + build_mod.table(measured))
    assert measured["tracker.v1.js"]["gzip"] <= 1536
    assert measured["widget.v1.js"]["gzip"] <= 4096
    assert build_mod.over_budget(measured) == []


def test_check_mode_passes() -> None:
    result = subprocess.run(
        [sys.executable, str(WIDGET / "build.py"), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tracker.v1.js" in result.stdout


def test_dist_js_is_ascii_and_css_is_inlined(built: dict[str, bytes]) -> None:
    for name in ("tracker.v1.js", "widget.v1.js"):
        built[name].decode("ascii")  # served without a charset on an EUC-KR page must still work
    widget = built["widget.v1.js"].decode()
    assert "__MOSTREAD_CSS__" not in widget
    css = built["widget.v1.css"].decode().strip()
    assert json.dumps(css) in widget


@pytest.mark.parametrize("name", ["tracker.js", "widget.js"])
def test_no_html_sinks_or_eval(name: str) -> None:
    for text in (_src(name), _dist(name.replace(".js", ".v1.js"))):
        for banned in (
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "Function(",
        ):
            assert banned not in text, f"{banned} in {name}"


def test_tracker_transport() -> None:
    js = _dist("tracker.v1.js")
    assert "navigator.sendBeacon(" in js
    assert 'new Blob([body],{type:"text/plain"})' in js
    assert re.search(r"fetch\(url,\{[^}]*method:\"POST\"", js)
    for option in ("keepalive:true", '"content-type":"text/plain"', 'credentials:"omit"', 'mode:"cors"'):
        assert option in js
    assert "/v1/views" in js
    assert "mr_ref" in js
    assert "history.replaceState" in js
    assert "prerenderingchange" in js
    assert "visibilitychange" in js


def test_widget_contract_strings() -> None:
    js = _src("widget.js")
    assert "/v1/rankings?" in js
    assert '"mostread:v1:"' in js  # sessionStorage key prefix; the rest is the request URL
    assert "mr_ref=mostread" in js
    assert 'getElementById("mostread-css")' in js
    assert "link[data-mostread-css]" in js
    assert "w.mostread = {" in js


def test_css_classes_are_prefixed_and_flat() -> None:
    css = _src("widget.css")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", css) for s in block.split(",")]
    assert selectors
    for selector in selectors:
        assert re.fullmatch(r"\.mr-[a-z-]+(:[a-z-]+)?", selector), selector
    for var in ("--mr-accent", "--mr-font", "--mr-gap"):
        assert f"var({var}," in css
    assert "keep-all" in css
    assert "-webkit-line-clamp: 2" in css


def test_widget_classes_used_exist_in_css() -> None:
    js, css = _src("widget.js"), _src("widget.css")
    used = set(re.findall(r'"(mr-[a-z-]+)', js)) - {"mr-h-"}
    used |= {"mr-" + kind for kind in ("up", "down", "new", "same")}
    used -= {"mr-same", "mr-views", "mr-rate"}  # hooks for sites; the defaults need no rule of their own
    defined = set(re.findall(r"\.(mr-[a-z-]+)", css))
    assert used <= defined, used - defined


needs_node = pytest.mark.skipif(NODE is None, reason="node not on PATH")


@needs_node
@pytest.mark.parametrize(
    "path",
    [
        "src/tracker.js",
        "src/widget.js",
        "../shared/mostread/static/tracker.v1.js",
        "../shared/mostread/static/widget.v1.js",
    ],
)
def test_js_parses(path: str) -> None:
    assert NODE
    result = subprocess.run([NODE, "--check", str(WIDGET / path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


# Runs dist/tracker.v1.js in a node vm against a fake window/document and prints what it sent.
TRACKER_HARNESS = r"""
const vm = require("vm"), fs = require("fs");
const code = fs.readFileSync(process.argv[1], "utf8");
const opts = JSON.parse(process.argv[2]);
const listeners = {}, sent = [], replaced = [], errors = [];
const loc = new URL(opts.href || "https://news.example.kr/article/1?x=1#top");
const doc = {
  currentScript: opts.attrs ? { getAttribute: (n) => (n in opts.attrs ? opts.attrs[n] : null) } : null,
  querySelector: (q) => (opts.endMarker && q === "[data-mostread-end]" ? endMarker : null),
  documentElement: { scrollHeight: 3000 },
  prerendering: !!opts.prerendering,
  visibilityState: opts.hidden ? "hidden" : "visible",
  addEventListener: (t, f) => (listeners[t] = listeners[t] || []).push(f),
  removeEventListener: (t, f) => (listeners[t] = (listeners[t] || []).filter((g) => g !== f)),
};
const history = {
  state: { s: 1 },
  replaceState(state, title, url) { replaced.push({ state, url }); },
};
const navigator = {};
if (!opts.noBeacon) {
  navigator.sendBeacon = (url, blob) => {
    sent.push({ via: "beacon", url, blob });
    return !opts.beaconFalse;
  };
}
// What each fetch answers, in order (the last one repeats): "offline" (a network error), "throw" (fetch throws
// at once), or {status, retryAfter}.
const answers = opts.fetches || ["offline"], delays = [], held = [], winListeners = {};
// the article's end, 2000 px down a 3000 px page (the viewport is 900 px high)
const endMarker = { getBoundingClientRect: () => ({ top: 2000 - g.scrollY }) };
let fetched = 0;
const g = {
  document: doc, location: loc, history, navigator, Blob, btoa, console,
  fetch: (url, init) => {
    sent.push({ via: "fetch", url, init });
    const answer = answers[Math.min(fetched++, answers.length - 1)];
    if (answer === "throw") throw new TypeError("fetch threw");
    if (answer === "offline") return Promise.reject(new TypeError("Failed to fetch"));
    const headers = { get: (n) => (n.toLowerCase() === "retry-after" ? (answer.retryAfter ?? null) : null) };
    return Promise.resolve({ status: answer.status, headers });
  },
  // a fake clock: a retry's delay is recorded and its callback runs at once; a longer timer (the engaged report's)
  // is held until a "time" step lets it run
  setTimeout: (f, ms, ...args) => {
    if (ms > 5000) return held.push({ f, ms, args });
    delays.push(ms);
    setTimeout(f, 0, ...args);
    return 0;
  },
  clearTimeout: (id) => { if (id > 0) held[id - 1] = null; },
  addEventListener: (t, f, o) => (winListeners[t] = winListeners[t] || []).push({ f, o }),
  removeEventListener: (t, f) => (winListeners[t] = (winListeners[t] || []).filter((l) => l.f !== f)),
  scrollY: 0,
  innerHeight: 900,
};
process.on("uncaughtException", (e) => errors.push("uncaught: " + e));
process.on("unhandledRejection", (e) => errors.push("unhandled rejection: " + e));
if (!opts.noCrypto) g.crypto = globalThis.crypto;
if (opts.config) g.mostreadConfig = opts.config;
g.window = g;
const ctx = vm.createContext(g);
const fire = (t) => (listeners[t] || []).slice().forEach((f) => f());
const tick = () => new Promise((r) => setTimeout(r, 5));
(async () => {
  for (let i = 0; i < (opts.copies || 1); i++) {
    try { vm.runInContext(code, ctx); } catch (e) { errors.push(String(e)); }
  }
  await tick();
  const before = sent.length;
  for (const step of opts.steps || []) {
    if (step === "visible") { doc.visibilityState = "visible"; fire("visibilitychange"); }
    if (step === "hidden") { doc.visibilityState = "hidden"; fire("visibilitychange"); }
    if (step === "activate") { doc.prerendering = false; fire("prerenderingchange"); }
    if (step === "time") held.splice(0).forEach((t) => t && t.f(...t.args));
    if (step.scrollTo !== undefined) {
      g.scrollY = step.scrollTo;
      (winListeners.scroll || []).slice().forEach((l) => l.f());
    }
    await tick();
  }
  await tick();
  await tick();
  const out = [];
  for (const s of sent) {
    const o = { via: s.via, url: s.url };
    if (s.blob) { o.type = s.blob.type; o.body = await s.blob.text(); }
    if (s.init) { o.init = Object.assign({}, s.init); o.body = s.init.body; }
    out.push(o);
  }
  const timers = held.filter(Boolean).map((t) => t.ms);
  const passive = (winListeners.scroll || []).map((l) => !!(l.o && l.o.passive));
  const flag = ctx.__mostreadTracker || null;
  console.log(JSON.stringify({ before, sent: out, replaced, errors, delays, timers, passive, flag }));
})();
"""

API = {"data-mostread-api": "https://api.example.com/", "data-article-id": "art-1"}


def run_tracker(engaged_seconds: int | None = None, **opts: object) -> dict:  # type: ignore[type-arg]
    """Run the built tracker; with ``engaged_seconds``, as the API serves it with that EngagedSeconds."""
    assert NODE
    path = WIDGET.parent / "shared" / "mostread" / "static" / "tracker.v1.js"
    with tempfile.TemporaryDirectory() as scratch:
        if engaged_seconds is not None:
            served = Path(scratch) / "tracker.v1.js"
            served.write_text(assets.render(path.read_text(encoding="utf-8"), engaged_seconds), encoding="utf-8")
            path = served
        return _run_tracker(path, opts)


def _run_tracker(path: Path, opts: dict[str, object]) -> dict:  # type: ignore[type-arg]
    assert NODE
    result = subprocess.run(
        [NODE, "-e", TRACKER_HARNESS, str(path), json.dumps(opts)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    out: dict = json.loads(result.stdout)  # type: ignore[type-arg]
    assert out["errors"] == []
    return out


@needs_node
def test_tracker_sends_one_beacon() -> None:
    out = run_tracker(attrs=API)
    assert out["before"] == 1
    assert len(out["sent"]) == 1
    beacon = out["sent"][0]
    assert beacon["via"] == "beacon"
    assert beacon["url"] == "https://api.example.com/v1/views"
    assert beacon["type"] == "text/plain"
    body = json.loads(beacon["body"])
    assert body["article_id"] == "art-1"
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", body["event_id"])
    assert "ref" not in body
    assert out["replaced"] == []
    assert out["flag"] == 1


@needs_node
def test_tracker_event_ids_differ_and_fallback_without_crypto() -> None:
    ids = {json.loads(run_tracker(attrs=API)["sent"][0]["body"])["event_id"] for _ in range(3)}
    assert len(ids) == 3
    body = json.loads(run_tracker(attrs=API, noCrypto=True)["sent"][0]["body"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", body["event_id"])


@needs_node
def test_tracker_reads_and_removes_mr_ref() -> None:
    out = run_tracker(attrs=API, href="https://news.example.kr/a/1?idxno=5&mr_ref=mostread&q=%20x#c")
    assert json.loads(out["sent"][0]["body"])["ref"] == "mostread"
    assert out["replaced"] == [{"state": {"s": 1}, "url": "/a/1?idxno=5&q=%20x#c"}]
    out = run_tracker(attrs=API, href="https://news.example.kr/a/1?mr_ref=mostread")
    assert out["replaced"][0]["url"] == "/a/1"
    out = run_tracker(attrs=API, href="https://news.example.kr/a/1?mr_ref=other")
    assert "ref" not in json.loads(out["sent"][0]["body"])
    assert out["replaced"][0]["url"] == "/a/1"


@needs_node
def test_tracker_reports_once_when_included_twice() -> None:
    out = run_tracker(attrs=API, copies=2, steps=["hidden", "visible"])
    assert len(out["sent"]) == 1


@needs_node
def test_tracker_config_object_and_missing_config() -> None:
    out = run_tracker(config={"api": "https://api.example.com", "articleId": "n:42"})
    assert out["sent"][0]["url"] == "https://api.example.com/v1/views"
    assert json.loads(out["sent"][0]["body"])["article_id"] == "n:42"
    for attrs in ({"data-mostread-api": "https://api.example.com"}, {"data-article-id": "a"}, None):
        out = run_tracker(attrs=attrs)
        assert out["sent"] == []
        assert out["flag"] is None


@needs_node
def test_tracker_waits_until_visible_and_activated() -> None:
    out = run_tracker(attrs=API, hidden=True, steps=["hidden", "visible", "hidden", "visible"])
    assert out["before"] == 0
    assert len(out["sent"]) == 1
    out = run_tracker(attrs=API, prerendering=True, steps=["visible", "activate"])
    assert out["before"] == 0
    assert len(out["sent"]) == 1


@needs_node
def test_tracker_falls_back_to_fetch_keepalive() -> None:
    for opts in ({"noBeacon": True}, {"beaconFalse": True}):
        out = run_tracker(attrs=API, fetches=[{"status": 202}], **opts)
        sent = [s for s in out["sent"] if s["via"] == "fetch"]
        assert len(sent) == 1
        assert out["delays"] == []
        init = sent[0]["init"]
        assert init["method"] == "POST"
        assert init["keepalive"] is True
        assert init["headers"] == {"content-type": "text/plain"}
        assert init["mode"] == "cors"
        assert init["credentials"] == "omit"
        assert json.loads(sent[0]["body"])["article_id"] == "art-1"


@needs_node
@pytest.mark.parametrize(
    ("fetches", "delays"),
    [
        (["offline"], [1000]),  # a network error: once more, a second later
        (["offline", "offline"], [1000]),  # at most once
        (["throw"], [1000]),  # even when fetch itself throws
        ([{"status": 503, "retryAfter": "2"}, {"status": 202}], [2000]),  # after Retry-After
        ([{"status": 503, "retryAfter": "5"}], [5000]),
        ([{"status": 500}], [1000]),  # a 5xx without Retry-After
        ([{"status": 502, "retryAfter": "Wed, 21 Oct 2026 07:28:00 GMT"}], [1000]),  # a date: not "a few seconds"
        ([{"status": 503, "retryAfter": "0"}], [1000]),
        ([{"status": 503, "retryAfter": "60"}], []),  # longer than a page view lasts: not retried
        ([{"status": 202}], []),
        ([{"status": 400}], []),  # a client error is final
        ([{"status": 415}], []),
        ([{"status": 429}], []),  # the API's throttle: not a failure of the service
    ],
)
def test_tracker_retries_a_failed_fetch_once_with_the_same_body(fetches: list[object], delays: list[int]) -> None:
    out = run_tracker(attrs=API, noBeacon=True, fetches=fetches)  # run_tracker: nothing thrown, nothing unhandled
    sent = out["sent"]
    assert len(sent) == 1 + len(delays)
    assert out["delays"] == delays
    assert all(s == sent[0] for s in sent)  # same URL, same options, same body: the same event_id
    assert out["flag"] == 1


@needs_node
def test_tracker_never_retries_a_beacon() -> None:
    # sendBeacon only says whether the browser queued the report, never how it went: nothing to retry on
    out = run_tracker(attrs=API, fetches=["offline"])
    assert [s["via"] for s in out["sent"]] == ["beacon"]
    assert out["delays"] == []


def engaged_reports(out: dict) -> list[dict]:  # type: ignore[type-arg]
    bodies = [json.loads(s["body"]) for s in out["sent"]]
    return [body for body in bodies if body.get("engaged")]


@needs_node
def test_tracker_reports_engaged_once_after_the_visible_time() -> None:
    out = run_tracker(engaged_seconds=20, attrs=API)
    assert out["timers"] == [20_000]  # waiting, nothing sent yet but the page view
    assert len(out["sent"]) == 1 and engaged_reports(out) == []
    out = run_tracker(engaged_seconds=20, attrs=API, steps=["time", "time", "hidden", "visible", "time"])
    [page_view, engaged] = [json.loads(s["body"]) for s in out["sent"]]
    assert engaged == {"article_id": "art-1", "event_id": page_view["event_id"], "engaged": True}
    assert out["sent"][1]["via"] == "beacon" and out["sent"][1]["type"] == "text/plain"
    assert out["timers"] == []


@needs_node
def test_tracker_counts_only_visible_time() -> None:
    # hidden before the time is up: the timer stops, and starts again (with what is left) when the page shows
    out = run_tracker(engaged_seconds=20, attrs=API, steps=["hidden"])
    assert out["timers"] == [] and engaged_reports(out) == []
    out = run_tracker(engaged_seconds=20, attrs=API, steps=["hidden", "visible"])
    assert len(out["timers"]) == 1 and 19_000 < out["timers"][0] <= 20_000
    # a page opened hidden waits for the page view, and the engaged time starts only then
    out = run_tracker(engaged_seconds=20, attrs=API, hidden=True, steps=["time"])
    assert out["sent"] == [] and out["timers"] == []


@needs_node
def test_tracker_reports_engaged_at_the_end_of_the_page_or_the_marked_end() -> None:
    # without a marked end: the end of the page (3000 px, a 900 px viewport), on a passive scroll listener
    out = run_tracker(attrs=API, steps=[{"scrollTo": 1000}])
    assert engaged_reports(out) == [] and out["passive"] == [True]
    out = run_tracker(attrs=API, steps=[{"scrollTo": 1000}, {"scrollTo": 2100}, {"scrollTo": 2100}, "time"])
    assert len(engaged_reports(out)) == 1
    assert out["passive"] == [] and out["timers"] == []  # everything stopped after the one report
    # a marked end (2000 px down) is reached sooner
    out = run_tracker(attrs=API, endMarker=True, steps=[{"scrollTo": 1200}])
    assert len(engaged_reports(out)) == 1


@needs_node
def test_tracker_sends_no_engaged_report_with_0_seconds() -> None:
    out = run_tracker(engaged_seconds=0, attrs=API, steps=["time", {"scrollTo": 2100}, "time"])
    assert len(out["sent"]) == 1 and engaged_reports(out) == []
    assert out["timers"] == [] and out["passive"] == []


def test_assets_are_served_with_the_deployments_engaged_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    from mostread import caches

    monkeypatch.setenv("TABLE_NAME", "mostread-test")
    for seconds, literal in (("45", "=+45,"), ("0", "=+0,")):
        monkeypatch.setenv("ENGAGED_SECONDS", seconds)
        caches.reset()
        asset, _ = assets.find_asset("tracker.v1.js") or (None, 0)
        assert asset is not None
        assert assets.ENGAGED_SECONDS_PLACEHOLDER not in asset.body
        assert literal in asset.body
        assert assets.find_asset(asset.hashed_name) is not None  # the hash names the served content
    caches.reset()
