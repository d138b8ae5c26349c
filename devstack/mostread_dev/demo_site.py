"""The demo news site of ``mostread dev``: 한빛일보, an invented regional daily of Gwangju and South Jeolla.

Every page is an article page of one template, as on a Korean regional news portal: ``/`` shows the lead story
(the newest article of the demo catalog), ``/articles/<id>`` any other article of the catalog, and an id outside
it gets a "not found" page in the same frame (the HTTP server answers whatever ``render_page`` returns with 200).
An article page carries the tracker with its article id; every page has, in its sidebar, the widget for
"많이 본 뉴스" (all sections, last 24 h), the "HOT ISSUE" block (trending, last hour) and a list for the 지역
section, each with the widget's rank-movement markers (▲ / ▼ / NEW). Both scripts come from the API's
own assets route, as a real site embeds them, and read the API base from ``window.mostreadConfig`` (the page's
own origin). The page's CSS and logo are in ``static/`` (served at ``/static/<file>``); nothing is loaded from
anywhere else. The catalog is data: everything shown from it is escaped.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

from mostread.clock import system_clock
from mostread.periods import local_date, week_of

from mostread_dev.timefmt import KST

CATALOG_FILE = Path(__file__).resolve().parent / "demo_catalog.json"
SECTION_NAMES = {  # in the order of the section menu
    "politics": "정치",
    "economy": "경제",
    "society": "사회",
    "local": "지역",
    "sports": "스포츠",
    "culture": "문화",
}
PAPER = "한빛일보"
FRONT_PAGE_TITLE = "mostread demo"  # the <title> of `/`, which the server and e2e tests look for
SIDEBAR_SECTION = "local"
HOT_ISSUE_WINDOW = "1h"
HOT_ISSUE_LIMIT = 5
RELATED_ARTICLES = 4
# Who signs each section's articles (invented, as is everything else about the paper).
REPORTERS = {
    "politics": ("정다은", "daeun@hanbit.example"),
    "economy": ("김민준", "minjun@hanbit.example"),
    "society": ("이서연", "seoyeon@hanbit.example"),
    "local": ("한지훈", "jihun@hanbit.example"),
    "sports": ("박준호", "junho@hanbit.example"),
    "culture": ("최유진", "yujin@hanbit.example"),
}
WEEKDAYS = "월화수목금토일"


@lru_cache(maxsize=1)
def demo_articles() -> dict[str, dict[str, Any]]:
    """The demo catalog, article id -> entry, newest first."""
    entries: list[dict[str, Any]] = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    ordered = sorted(entries, key=lambda entry: str(entry["published_at"]), reverse=True)
    return {str(entry["article_id"]): entry for entry in ordered}


def _last_week() -> str:
    """The ISO week before this one in Seoul, on the stack's clock (``mostread dev --start-at`` moves it)."""
    return week_of(local_date(system_clock(), KST) - timedelta(days=7)).name


def render_page(article_id: str | None) -> str:
    """The front page (``None``: the lead story) or the page of one article, as a complete HTML document."""
    articles = demo_articles()
    shown_id = article_id if article_id is not None else next(iter(articles))
    article = articles.get(shown_id)
    if article is None:
        title, section, main = "기사를 찾을 수 없습니다", None, _not_found_main(shown_id)
    else:
        title, section, main = str(article["title"]), str(article["section"]), _article_main(shown_id, article)
    return _PAGE.format(
        title=escape(FRONT_PAGE_TITLE if article_id is None else f"{title} - {PAPER}"),
        robots='<meta name="robots" content="noindex">\n' if article is None else "",
        # The tracker only where an article is shown; json.dumps + "<" escaped keeps the id inert in a script.
        config=json.dumps({"articleId": shown_id} if article else {}, ensure_ascii=False).replace("<", "\\u003c"),
        tracker='<script async src="/v1/assets/tracker.v1.js"></script>\n' if article else "",
        today=escape(_korean_date(datetime.fromtimestamp(system_clock(), KST))),
        last_week=escape(_last_week()),
        nav=_section_menu(section),
        main=main,
        hot_window=escape(HOT_ISSUE_WINDOW),
        hot_limit=HOT_ISSUE_LIMIT,
        sidebar_section=escape(SIDEBAR_SECTION),
        sidebar_title=escape(f"{section_name(SIDEBAR_SECTION)} 많이 본 뉴스"),
    )


def section_name(section: str) -> str:
    return SECTION_NAMES.get(section, section)


def _article_main(article_id: str, article: dict[str, Any]) -> str:
    section = str(article["section"])
    reporter, email = REPORTERS.get(section, ("편집국", "news@hanbit.example"))
    published = _published_at(article_id, article)
    body = _BODY.get(section, _BODY["local"])
    paragraphs = [article["summary"], *body] if article.get("summary") else body
    return _ARTICLE.format(
        crumbs=_crumbs(section),
        title=escape(str(article["title"])),
        reporter=escape(reporter),
        email=escape(email),
        datetime=escape(published.isoformat(timespec="minutes")),
        published=escape(published.strftime("%Y.%m.%d %H:%M")),
        section=escape(section),
        art=_LEAD_ART,
        body="\n".join(f"<p>{escape(str(paragraph))}</p>" for paragraph in paragraphs),
        related=_related(article_id, section),
    )


def _not_found_main(article_id: str) -> str:
    return (
        '<div class="not-found">\n<h1 class="headline">기사를 찾을 수 없습니다</h1>\n'
        f"<p>요청하신 기사 <code>{escape(article_id)}</code>는 데모 카탈로그에 없습니다. "
        "주소가 바뀌었거나 삭제된 기사일 수 있습니다.</p>\n"
        '<p><a href="/">첫 화면으로 가기</a></p>\n</div>'
    )


def _section_menu(current: str | None) -> str:
    leads = _section_leads()
    items = []
    for section, name in SECTION_NAMES.items():
        if section not in leads:
            continue
        mark = ' aria-current="true"' if section == current else ""
        items.append(f'<li><a href="{_href(leads[section])}"{mark}>{escape(name)}</a></li>')
    return "".join(items)


def _crumbs(section: str) -> str:
    lead = _section_leads().get(section)
    name = escape(section_name(section))
    last = f'<a href="{_href(lead)}">{name}</a>' if lead else name
    return f'<li><a href="/">홈</a></li><li>{last}</li>'


def _related(article_id: str, section: str) -> str:
    others = [
        (other_id, entry)
        for other_id, entry in demo_articles().items()
        if entry["section"] == section and other_id != article_id
    ][:RELATED_ARTICLES]
    if not others:
        return ""
    items = "\n".join(
        f'<li><a href="{_href(other_id)}">{escape(str(entry["title"]))}</a>'
        f' <time datetime="{escape(_published_at(other_id, entry).isoformat(timespec="minutes"))}">'
        f"{escape(_published_at(other_id, entry).strftime('%m.%d %H:%M'))}</time></li>"
        for other_id, entry in others
    )
    return (
        '<section class="related" aria-labelledby="related-title">\n'
        f'<h2 id="related-title">{escape(section_name(section))} 최신 기사</h2>\n<ul>\n{items}\n</ul>\n</section>'
    )


def _href(article_id: str) -> str:
    return escape(f"/articles/{article_id}")


def _section_leads() -> dict[str, str]:
    """Section -> its newest article: where the section menu leads (the demo has no section pages)."""
    leads: dict[str, str] = {}
    for article_id, entry in demo_articles().items():
        leads.setdefault(str(entry["section"]), article_id)
    return leads


@lru_cache(maxsize=1)
def _published_times() -> dict[str, datetime]:
    """Publication times as ``mostread dev --demo`` loads them into the API: the catalog's dates moved so that the
    newest article is a few minutes old (traffic.py), computed from when the stack started (give or take a minute)."""
    from mostread_dev.traffic import demo_catalog  # traffic.py imports this module

    return {
        entry.article_id: datetime.fromisoformat(str(entry.body["published_at"]))
        for entry in demo_catalog("", datetime.fromtimestamp(system_clock(), KST), CATALOG_FILE)
    }


def _published_at(article_id: str, article: dict[str, Any]) -> datetime:
    moment = _published_times().get(article_id) or datetime.fromisoformat(str(article["published_at"]))
    return moment.astimezone(KST)


def _korean_date(moment: datetime) -> str:
    return f"{moment.year}년 {moment.month}월 {moment.day}일 {WEEKDAYS[moment.weekday()]}요일"


# Generic body paragraphs after the lead (the catalog's summary), one set per section: invented, as the paper.
_BODY: dict[str, tuple[str, ...]] = {
    "politics": (
        '이번 사안을 두고 지역 정치권의 셈법은 엇갈린다. 여당 측은 "지역 현안을 푸는 계기가 될 것"이라고 평가한 '
        '반면, 야당 측은 "충분한 의견 수렴 없이 속도만 내고 있다"며 보완을 요구했다.',
        "광주시와 전라남도는 관련 부서 협의를 거쳐 다음 달 중 후속 계획을 내놓을 방침이다. 시·도 관계자는 "
        '"중앙정부와 국회에 필요한 예산과 제도 개선을 적극 건의하겠다"고 말했다.',
        '시민사회의 시선은 여전히 신중하다. 한 지역 시민단체 관계자는 "결정 과정이 투명하게 공개돼야 주민들이 '
        '결과를 받아들일 수 있다"며 공청회 등 시민 참여 절차를 늘려야 한다고 지적했다.',
        "다음 총선을 1년 반가량 앞둔 시점이라는 점에서 이번 논의가 지역 민심에 어떤 영향을 줄지도 관심이다. "
        '전문가들은 "정책의 실효성을 꼼꼼히 따지는 유권자가 늘고 있다"고 분석했다.',
    ),
    "economy": (
        "지역 경제계는 이번 흐름이 일자리와 소비 회복으로 이어질지 주목하고 있다. 한 지역 상공업계 관계자는 "
        '"광주·전남 산업 구조가 바뀌는 과도기인 만큼 기업 규모에 맞는 맞춤형 지원이 필요하다"고 말했다.',
        "다만 불확실성도 적지 않다. 고금리와 환율 변동, 주요 수출국의 경기 둔화가 겹치면서 중소기업의 자금 "
        "사정은 여전히 빠듯하다. 지역 금융권의 중소기업 대출 연체율은 최근 석 달 연속 올랐다.",
        "시와 도는 연말까지 지역 기업 지원 예산을 조기에 집행하고 수출 보험과 물류비 지원을 늘리기로 했다. "
        '전문가들은 "단기 지원과 함께 인재 양성 같은 장기 과제도 병행해야 한다"고 조언했다.',
        "관련 지표는 다음 달 발표되는 지역 경제 동향 보고서에서 더 자세히 확인할 수 있을 전망이다.",
    ),
    "society": (
        '시민들의 반응도 엇갈렸다. 광주 북구에 사는 직장인 박모(38)씨는 "일상과 직접 맞닿은 문제인 만큼 '
        '행정이 좀 더 세심하게 챙겨 줬으면 한다"고 말했다.',
        "관계 기관은 현장 점검을 강화하고 있다. 시는 자치구와 경찰·소방 등이 참여하는 대책 회의를 열고 "
        "취약 계층과 피해 우려 지역을 중심으로 대응 방안을 마련했다.",
        "전문가들은 일회성 대책보다 구조적인 해법이 필요하다고 입을 모은다. 한 지역 대학 사회학과 교수는 "
        '"비슷한 문제가 해마다 되풀이되는 만큼 지역 실정에 맞는 중장기 계획을 세워야 한다"고 말했다.',
        "불편 사항이나 피해 신고는 시 콜센터(120)와 각 구청 민원실에서 받는다.",
    ),
    "local": (
        '주민들의 기대와 걱정이 교차한다. 인근에서 30년째 가게를 운영해 온 이모(61)씨는 "동네에 활기가 돌 '
        '것이라는 기대가 크다"면서도 "주민 불편이 길어지지 않도록 신경 써 줬으면 한다"고 말했다.',
        "해당 자치단체는 주민 설명회를 열어 사업 내용과 일정을 설명하고, 제기된 의견을 세부 계획에 반영하기로 "
        "했다. 사업비는 국비와 지방비를 함께 들이는 방식으로 마련된다.",
        "지역 전문가들은 인구 감소와 원도심 공동화가 이어지는 상황에서 이번 사업이 생활 인구를 늘리는 마중물이 "
        '돼야 한다고 강조했다. 한 도시계획 전문가는 "주민이 실제로 쓰는 공간이 되도록 설계 단계부터 함께해야 '
        '한다"고 말했다.',
        "시·군은 내년 상반기까지 세부 설계를 마무리하고 남은 행정 절차를 밟을 계획이다.",
    ),
    "sports": (
        "현장을 찾은 지역 팬들은 경기 내내 뜨거운 응원을 보냈다. 선수들은 경기가 끝난 뒤 관중석을 향해 "
        '인사하며 "끝까지 믿고 응원해 준 팬들 덕분"이라고 소감을 밝혔다.',
        "지도자와 관계자들은 올 시즌 체계적인 체력 관리와 전력 분석이 결실을 봤다고 평가했다. 특히 지역 "
        "유소년 육성 과정을 거친 선수들이 주축으로 성장한 점이 고무적이라는 분석이다.",
        '지역 체육계도 반기는 분위기다. 한 체육회 관계자는 "생활체육과 엘리트 체육이 함께 성장하는 계기가 '
        '되길 바란다"며 경기장 시설 개선과 선수 지원을 이어가겠다고 말했다.',
        "선수단은 짧은 휴식을 마친 뒤 전지훈련에 들어가 다음 시즌 준비에 나선다.",
    ),
    "culture": (
        '현장을 찾은 관람객들의 반응도 뜨거웠다. 가족과 함께 왔다는 김모(42)씨는 "아이와 함께 지역 문화를 '
        '가까이에서 즐길 수 있어 좋았다"며 "이런 기회가 더 늘었으면 한다"고 말했다.',
        "지역 문화계는 이번 성과가 광주·전남 문화 산업의 저변을 넓히는 계기가 될 것으로 기대했다. 한 "
        '문화기획자는 "지역에서 만든 콘텐츠가 전국과 해외로 뻗어 나갈 수 있다는 것을 보여 줬다"고 평가했다.',
        "다만 과제도 남아 있다. 공연장과 전시 공간이 도심 일부에 몰려 있고, 지역 예술인 창작 지원 예산은 몇 "
        "년째 제자리걸음이라는 지적이 나온다.",
        "지역 문화재단은 내년에도 관련 프로그램을 이어가고 시민 참여형 행사를 늘릴 계획이라고 밝혔다.",
    ),
}

# The lead picture: a drawing of the city under Mudeungsan (no image files, no external requests).
_LEAD_ART = """<svg class="lead-art" viewBox="0 0 800 450" role="img" aria-label="무등산과 광주 도심을 그린 그림">
<defs><linearGradient id="lead-sky" x1="0" y1="0" x2="0" y2="1">
<stop offset="0" class="sky-top"/><stop offset="1" class="sky-bottom"/></linearGradient>
<pattern id="lead-windows" width="12" height="14" patternUnits="userSpaceOnUse">
<rect width="12" height="14" class="building"/><rect x="3" y="4" width="5" height="5" class="window"/></pattern></defs>
<rect width="800" height="450" fill="url(#lead-sky)"/>
<circle class="sun" cx="600" cy="140" r="54"/>
<path class="ridge-far" d="M0 250 L110 205 L190 228 L300 150 L380 120 L460 168 L560 196 L660 176 L800 214 V450 H0Z"/>
<path class="ridge-near" d="M0 300 C120 262 230 292 350 272 S600 236 800 282 V450 H0Z"/>
<path class="city-back" d="M12 340v-70h34v70z M96 340v-104h26v104z M186 340v-88h30v88z M236 340v-132h22v132z
M322 340v-96h28v96z M430 340v-142h24v142z M520 340v-98h30v98z M610 340v-120h24v120z M700 340v-92h30v92z"/>
<path fill="url(#lead-windows)" d="M30 340h40v-52h-40z M78 340h28v-84h-28z M114 340h46v-40h-46z M168 340h30v-106h-30z
M206 340h52v-62h-52z M266 340h26v-92h-26z M300 340h44v-48h-44z M352 340h34v-120h-34z M394 340h48v-70h-48z
M450 340h30v-96h-30z M488 340h54v-52h-54z M550 340h28v-88h-28z M586 340h46v-58h-46z M640 340h32v-110h-32z
M680 340h50v-64h-50z M738 340h36v-86h-36z"/>
<path class="river" d="M0 372 C170 352 380 392 560 366 S740 352 800 362 V450 H0Z"/>
<path class="ripple" d="M90 398h70 M250 410h110 M470 396h60 M620 414h90"/>
</svg>"""

_ARTICLE = """<article class="article" aria-labelledby="article-title">
<nav class="crumbs" aria-label="현재 위치"><ol>{crumbs}</ol></nav>
<header class="article-head">
<h1 class="headline" id="article-title">{title}</h1>
<div class="byline"><span class="reporter">{reporter} 기자</span>
<span class="dates">입력 <time datetime="{datetime}">{published}</time></span></div>
</header>
<figure class="lead-figure lead-{section}">
{art}
<figcaption>▲ 무등산과 광주 도심. 그래픽=한빛일보 (데모용 이미지)</figcaption>
</figure>
<div class="article-body">
{body}
</div>
<p class="signature" data-mostread-end>{reporter} 기자 <span>{email}</span></p>
<p class="copyright">저작권자 © 한빛일보 무단 전재 및 재배포 금지</p>
</article>
{related}"""

_PAGE = """<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{robots}<link rel="icon" href="/static/logo.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/demo.css">
<script>window.mostreadConfig = Object.assign({{api: location.origin}}, {config});</script>
{tracker}<script async src="/v1/assets/widget.v1.js"></script>
</head>
<body>
<a class="skip-link" href="#content">본문 바로가기</a>
<header class="masthead">
<div class="topbar"><div class="wrap">
<p class="today">{today}</p>
<p class="demo-note">mostread 로컬 데모 · 가상의 신문입니다</p>
</div></div>
<div class="brand-row wrap">
<a class="brand" href="/"><img src="/static/logo.svg" alt="" width="46" height="46"><span>한빛일보</span></a>
<p class="tagline">광주·전남의 아침을 여는 신문</p>
</div>
<nav class="sections" aria-label="분야별 뉴스"><ul class="wrap">{nav}</ul></nav>
</header>
<div class="page wrap">
<main id="content" tabindex="-1">
{main}
</main>
<aside class="sidebar" aria-label="인기 기사">
<div data-mostread-widget data-window="24h" data-limit="10" data-thumbnails="false"></div>
<div data-mostread-widget data-kind="trending" data-window="{hot_window}" data-limit="{hot_limit}"
     data-thumbnails="false"></div>
<div data-mostread-widget data-window="24h" data-section="{sidebar_section}" data-limit="5"
     data-thumbnails="false" data-title="{sidebar_title}"></div>
<div data-mostread-widget data-kind="engaged" data-window="24h" data-limit="5" data-thumbnails="false"
     data-title="끝까지 읽은 기사"></div>
<div data-mostread-widget data-period="{last_week}" data-limit="5" data-thumbnails="false"
     data-title="지난주 많이 본 뉴스"></div>
</aside>
</div>
<footer class="site-footer">
<div class="wrap">
<p class="footer-brand">한빛일보</p>
<p>광주광역시 가상구 한빛로 00 · 대표전화 062-000-0000 · 등록번호 광주 아00000</p>
<p>이 사이트는 mostread 로컬 개발 스택(<code>mostread dev</code>)의 데모입니다.
신문사와 기사, 인물은 모두 가상이며 실제와 관계없습니다.</p>
</div>
</footer>
</body>
</html>
"""
