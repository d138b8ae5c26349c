"""Build the embeddable assets: widget/src/*.{js,css} -> shared/mostread/static/*.v1.{js,css} (the Lambda layer).

    python widget/build.py          # write shared/mostread/static, print sizes, fail if over budget
    python widget/build.py --check  # write nothing; fail if dist is stale or over budget

The build is deterministic (rjsmin + rcssmin, no timestamps), so dist/ is committed and a test
rebuilds in memory and compares. Non-ASCII characters in the JavaScript are written as \\uXXXX
escapes, so the files work even when a CDN serves them without a charset on an EUC-KR page.

Importable by path (widget/ is not a package):

    spec = importlib.util.spec_from_file_location("widget_build", "widget/build.py")
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path

import rcssmin  # type: ignore[import-untyped]
import rjsmin  # type: ignore[import-untyped]

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
DIST = HERE.parent / "shared" / "mostread" / "static"  # shipped in the Lambda layer; the API serves it

CSS_PLACEHOLDER = '"__MOSTREAD_CSS__"'

# Budget on the minified file after gzip -9, in bytes.
BUDGET: dict[str, int] = {"tracker.v1.js": 1536, "widget.v1.js": 4096}

# dist name -> the source files it is made from (for the "raw" column).
SOURCES: dict[str, tuple[str, ...]] = {
    "tracker.v1.js": ("tracker.js",),
    "widget.v1.js": ("widget.js", "widget.css"),
    "widget.v1.css": ("widget.css",),
}


def _ascii(text: str) -> str:
    r"""Write every non-ASCII character as a JavaScript \uXXXX escape (UTF-16 units)."""

    def escape(match: re.Match[str]) -> str:
        units = match.group().encode("utf-16-be")
        return "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2))

    return re.sub(r"[^\x00-\x7f]", escape, text)


def minify_js(source: str) -> str:
    """Strip comments and whitespace; keeps the /*! banner */."""
    return str(rjsmin.jsmin(source, keep_bang_comments=True)).strip()


def minify_css(source: str) -> str:
    return str(rcssmin.cssmin(source)).strip()


def _read(name: str) -> str:
    return (SRC / name).read_text(encoding="utf-8")


def build() -> dict[str, bytes]:
    """Return {dist file name: contents}; writes nothing."""
    css = minify_css(_read("widget.css"))
    tracker = minify_js(_read("tracker.js"))
    widget = minify_js(_read("widget.js"))
    if widget.count(CSS_PLACEHOLDER) != 1:
        raise ValueError(f"widget.js must contain the string {CSS_PLACEHOLDER} exactly once")
    widget = widget.replace(CSS_PLACEHOLDER, json.dumps(css, ensure_ascii=True))
    return {
        "tracker.v1.js": (_ascii(tracker) + "\n").encode("ascii"),
        "widget.v1.js": (_ascii(widget) + "\n").encode("ascii"),
        "widget.v1.css": (css + "\n").encode("utf-8"),
    }


def gzip_size(data: bytes) -> int:
    """Size after gzip -9 (no file name, no timestamp in the header)."""
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def sizes(files: dict[str, bytes] | None = None) -> dict[str, dict[str, int]]:
    """{name: {"raw": source bytes, "min": minified bytes, "gzip": minified+gzip -9 bytes}}."""
    files = build() if files is None else files
    out: dict[str, dict[str, int]] = {}
    for name, data in files.items():
        raw = sum(len((SRC / src).read_bytes()) for src in SOURCES[name])
        out[name] = {"raw": raw, "min": len(data), "gzip": gzip_size(data)}
    return out


def over_budget(measured: dict[str, dict[str, int]]) -> list[str]:
    return [name for name, limit in BUDGET.items() if measured[name]["gzip"] > limit]


def stale(files: dict[str, bytes]) -> list[str]:
    """Dist files missing or different from a fresh build."""
    return [name for name, data in files.items() if not (DIST / name).is_file() or (DIST / name).read_bytes() != data]


def table(measured: dict[str, dict[str, int]]) -> str:
    lines = [f"{'file':<16}{'raw':>8}{'min':>8}{'gzip -9':>9}{'budget':>8}"]
    for name, m in measured.items():
        limit = BUDGET.get(name)
        mark = "" if limit is None else f"{limit:>8}" + (" OVER" if m["gzip"] > limit else "")
        lines.append(f"{name:<16}{m['raw']:>8}{m['min']:>8}{m['gzip']:>9}{mark}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="write nothing; fail if dist is stale")
    args = parser.parse_args(argv)
    files = build()
    measured = sizes(files)
    print(table(measured))
    status = 0
    if args.check:
        old = stale(files)
        if old:
            print(f"stale: {', '.join(old)} (run: python widget/build.py)", file=sys.stderr)
            status = 1
    else:
        DIST.mkdir(exist_ok=True)
        for name, data in files.items():
            (DIST / name).write_bytes(data)
        print(f"wrote {', '.join(sorted(files))} to {DIST}")
    over = over_budget(measured)
    if over:
        print(f"over budget: {', '.join(over)}", file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
