"""The CSV both GET /v1/rankings?format=csv and `mostread export` give editors."""

import csv
import io

from hypothesis import given
from hypothesis import strategies as st
from mostread import spreadsheet


def page(kind: str, *items: dict) -> dict:
    return {"kind": kind, "window": "24h", "section": None, "generated_at": None, "items": list(items)}


def item(rank: int, title: str, **extra: object) -> dict:
    return {
        "rank": rank,
        "article_id": f"news-{rank}",
        "title": title,
        "url": f"https://news.example.kr/{rank}",
        "section": "society",
        "published_at": "2026-11-27T07:00:00+09:00",
        "thumbnail_url": None,
        "summary": "요약",
        "views": 10 * rank,
        "previous_rank": None,
        **extra,
    }


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_the_header_is_the_contracts_then_the_kinds_own_columns() -> None:
    common = ["rank", "article_id", "title", "url", "section", "published_at", "views"]
    assert rows_of(spreadsheet.list_csv(page("most_read"))) == [common]
    assert rows_of(spreadsheet.list_csv(page("trending")))[0] == [*common, "score"]
    assert rows_of(spreadsheet.list_csv(page("engaged")))[0] == [*common, "read_rate"]


def test_rows_follow_the_items_with_crlf_and_quoting() -> None:
    text = spreadsheet.list_csv(page("trending", item(1, '시내버스 "첫차부터" 파업,\n쉼표', score=3.5)))
    assert text.endswith("\r\n")
    assert rows_of(text)[1] == [
        "1",
        "news-1",
        '시내버스 "첫차부터" 파업,\n쉼표',
        "https://news.example.kr/1",
        "society",
        "2026-11-27T07:00:00+09:00",
        "10",
        "3.5",
    ]


def test_formula_like_text_cells_are_defused_numbers_are_not() -> None:
    text = spreadsheet.list_csv(
        page("most_read", item(1, "=1+1"), item(2, "@SUM(A1)"), item(3, "-기사"), item(4, "\t탭"))
    )
    assert [row[2] for row in rows_of(text)[1:]] == ["'=1+1", "'@SUM(A1)", "'-기사", "'\t탭"]
    assert spreadsheet.cell(-3, "views") == "-3"
    assert spreadsheet.cell(None, "title") == ""


@given(st.text(min_size=1, max_size=80))
def test_any_title_reads_back_whole(title: str) -> None:
    """Whatever the text (Korean, emoji, quotes, separators, lone surrogates aside), the spreadsheet reads the
    same cell back, apostrophe aside: nothing is cut, escaped or re-encoded."""
    title = title.encode("utf-8", "replace").decode()
    read = rows_of(spreadsheet.list_csv(page("most_read", item(1, title))))[1][2]
    assert read == spreadsheet.spreadsheet_safe(title)
