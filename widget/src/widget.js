/*! mostread widget v1 */
// Renders a list (most read, or trending: "HOT ISSUE") into every <div data-mostread-widget>.
//
//   <script async src=".../widget.v1.js" data-mostread-api="https://API_BASE"></script>
//   <div data-mostread-widget data-window="24h" data-limit="10"></div>
//
// No dependencies, ES2018, the DOM is built with createElement/textContent only. The only global
// it leaves is window.mostread = {version, render(el)}. The build only strips comments and
// whitespace, so local names are kept short by hand: el = a host <div data-mostread-widget>,
// s = its state, c = its config (see config()).
(() => {
  "use strict";
  const w = window,
    d = document,
    MARK = "data-mostread-widget",
    // widget/build.py replaces this string with the minified widget.css.
    CSS = "__MOSTREAD_CSS__",
    script = d.currentScript,
    TEXT = {
      ko: {
        title: "많이 본 뉴스",
        views: (n) => "조회 " + n,
        engaged: "끝까지 읽은 뉴스",
        rate: (p) => "끝까지 읽은 비율 " + p + "%",
        loading: "불러오는 중…",
        failed: "목록을 불러오지 못했습니다",
        empty: "아직 집계된 기사가 없습니다",
        up: (n) => n + "계단 상승",
        down: (n) => n + "계단 하락",
        fresh: "새로 진입",
        same: "변동 없음",
        story: (n) => "관련 기사 " + n + "건",
      },
      en: {
        title: "Most read",
        views: (n, v) => n + (v == 1 ? " view" : " views"),
        engaged: "Read to the end",
        rate: (p) => p + "% read to the end",
        loading: "Loading…",
        failed: "Could not load the list",
        empty: "Nothing to show yet",
        up: (n) => "up " + n + (n > 1 ? " places" : " place"),
        down: (n) => "down " + n + (n > 1 ? " places" : " place"),
        fresh: "new entry",
        same: "no change",
        story: (n) => n + " related",
      },
    },
    states = new WeakMap(),
    make = (tag, cls, text) => {
      const e = d.createElement(tag);
      if (cls) e.className = cls;
      if (text != null) e.textContent = text;
      return e;
    },
    set = (e, name, value) => e.setAttribute(name, value),
    attr = (el, name) => (el.getAttribute("data-" + name) || "").trim(),
    flag = (el, name, dflt) => {
      const v = attr(el, name);
      return v ? !/^(false|0|no|off)$/i.test(v) : dflt;
    },
    // An absolute http(s) URL, or "" for anything else (javascript:, data:, garbage). With mark,
    // adds mr_ref=mostread, keeping the other parameters byte for byte, and the hash.
    safeUrl = (value, mark) => {
      try {
        const u = new URL(value, location.href);
        if (typeof value != "string" || !/^https?:$/.test(u.protocol)) return "";
        if (mark)
          u.search = u.search
            .slice(1)
            .split("&")
            .filter((p) => p && !/^mr_ref(=|$)/.test(p))
            .concat("mr_ref=mostread")
            .join("&");
        return u.href;
      } catch (e) {
        return "";
      }
    },
    // The settings, read afresh on every load so that render(el) picks up changed data-*.
    config = (el) => {
      const api = (
          attr(el, "api") ||
          (script && script.getAttribute("data-mostread-api")) ||
          (w.mostreadConfig || {}).api ||
          ""
        ).replace(/\/+$/, ""),
        kind = attr(el, "kind") || "most_read",
        lang = /^en/i.test(attr(el, "lang")) ? "en" : "ko",
        q = new URLSearchParams(),
        refresh = attr(el, "refresh") ? +attr(el, "refresh") : 60,
        // the API checks the limit; the widget only adds the left-out ids to it
        limit = +attr(el, "limit") || 10,
        // The article being read is not recommended to its own reader: data-exclude names ids to leave out,
        // and the tracker's data-article-id (or mostreadConfig.articleId) is the page's own article.
        own = d.querySelector("script[data-article-id]"),
        skip = attr(el, "exclude")
          .split(/[\s,]/)
          .concat(String((own && own.getAttribute("data-article-id")) || (w.mostreadConfig || {}).articleId || ""))
          .filter((x) => x);
      // a closed calendar period (2026-11-30, 2026-W48, 2026-11, 2026) instead of a moving window
      if (attr(el, "period")) q.set("period", attr(el, "period"));
      else q.set("window", attr(el, "window") || "24h");
      if (attr(el, "section")) q.set("section", attr(el, "section"));
      // one more item per left-out id, so the list still shows `limit` items
      q.set("limit", Math.min(limit + skip.length, 50));
      q.set("kind", kind);
      const url = api + "/v1/rankings?" + q;
      return {
        api: api,
        url: url,
        key: "mostread:v1:" + url, // sessionStorage key of the last good response body
        lang: lang,
        limit,
        skip,
        text: TEXT[lang],
        title:
          attr(el, "title") ||
          (kind == "trending" ? "HOT ISSUE" : TEXT[lang][kind == "engaged" ? kind : "title"]),
        thumbs: flag(el, "thumbnails", true),
        views: flag(el, "views", true),
        stories: flag(el, "stories", true),
        rate: flag(el, "read-rate", true),
        summary: flag(el, "summary", false),
        refresh: refresh > 0 ? Math.max(refresh, 10) : refresh === 0 ? 0 : 60,
      };
    },
    // ▲n / ▼n / NEW / – with a text alternative; null when the item has no previous_rank field.
    movement = (prev, rank, t) => {
      const up = prev - rank,
        [cls, shown, said] =
          prev === null
            ? ["new", "NEW", t.fresh]
            : typeof prev != "number"
              ? []
              : up > 0
                ? ["up", "▲" + up, t.up(up)]
                : up < 0
                  ? ["down", "▼" + -up, t.down(-up)]
                  : ["same", "–", t.same];
      if (!cls) return null;
      const box = make("span", "mr-move mr-" + cls),
        visual = box.appendChild(make("span", "", shown));
      set(visual, "aria-hidden", "true");
      box.appendChild(make("span", "mr-sr", said));
      return box;
    },
    // Replaces the list with data.items; throws (leaving the old list alone) on a malformed body.
    draw = (s, c, data) => {
      let items = data && data.items;
      const t = c.text,
        numbers = new Intl.NumberFormat(c.lang == "en" ? "en-US" : "ko-KR"),
        list = d.createDocumentFragment();
      if (!Array.isArray(items)) throw Error("mostread: bad list");
      items = items
        .filter((item) => item && typeof item == "object" && !c.skip.includes(item.article_id))
        .slice(0, c.limit);
      items.forEach((item, i) => {
        // the place shown counts the items shown; the movement compares the list's own ranks
        const place = i + 1,
          rank = +item.rank || place,
          li = list.appendChild(make("li", "mr-item")),
          num = li.appendChild(make("span", place > 3 ? "mr-rank" : "mr-rank mr-rank-top", place)),
          body = li.appendChild(make("div", "mr-body")),
          href = safeUrl(item.url, true),
          link = body.appendChild(make(href ? "a" : "span", "mr-link")),
          src = c.thumbs && safeUrl(item.thumbnail_url),
          meta = make("div", "mr-meta"),
          // a closed period's list never moves: no markers
          move = !data.period && "previous_rank" in item && movement(item.previous_rank, rank, t);
        set(num, "aria-hidden", "true");
        if (href) link.href = href;
        link.appendChild(make("span", "mr-headline", String(item.title || "")));
        if (src) {
          // A second link around the picture, hidden from keyboard and screen readers (the title
          // link says it all), so the picture can span the title and meta lines.
          const pic = li.appendChild(make(href ? "a" : "span", "mr-pic")),
            img = pic.appendChild(make("img", "mr-thumb"));
          if (href) {
            pic.href = href;
            set(pic, "tabindex", "-1");
            set(pic, "aria-hidden", "true");
          }
          img.alt = "";
          set(img, "loading", "lazy");
          set(img, "decoding", "async");
          img.onerror = () => pic.remove();
          img.src = src;
        }
        if (c.summary && item.summary) body.appendChild(make("p", "mr-summary", String(item.summary)));
        if (c.views && typeof item.views == "number")
          meta.appendChild(make("span", "mr-views", t.views(numbers.format(item.views), item.views)));
        // engaged lists: the share of the article's readers who stayed with it
        if (c.rate && typeof item.read_rate == "number")
          meta.appendChild(make("span", "mr-rate", t.rate(Math.round(item.read_rate * 100))));
        if (move) meta.appendChild(move);
        if (c.stories && item.story_articles > 1)
          meta.appendChild(make("span", "mr-story", t.story(numbers.format(item.story_articles - 1))));
        if (meta.firstChild) body.appendChild(meta);
      });
      s.list.textContent = "";
      s.list.appendChild(list);
      s.status.textContent = items.length ? "" : t.empty;
      s.shown = 1;
    },
    load = (el) => {
      const s = states.get(el);
      if (!s) return;
      clearTimeout(s.timer);
      s.waiting = 0;
      if (!el.isConnected) return states.delete(el);
      const c = config(el),
        seq = ++s.seq,
        abort = w.AbortController && new AbortController(),
        timeout = setTimeout(() => abort && abort.abort(), 15000);
      s.heading.textContent = c.title;
      s.root.lang = c.lang;
      set(s.root, "aria-busy", "true");
      if (!s.shown) s.status.textContent = c.text.loading;
      Promise.resolve()
        .then(() => fetch(c.url, { mode: "cors", credentials: "omit", signal: abort ? abort.signal : null }))
        .then((res) => {
          if (!res.ok) throw Error("mostread: HTTP " + res.status);
          return res.text();
        })
        .then((body) => {
          if (seq != s.seq) return;
          draw(s, c, JSON.parse(body));
          try {
            sessionStorage.setItem(c.key, body);
          } catch (e) {}
        })
        .catch(() => {
          // Keep whatever is on screen; say so only if nothing ever was.
          if (seq == s.seq && !s.shown) s.status.textContent = c.text.failed;
        })
        .then(() => {
          clearTimeout(timeout);
          if (seq != s.seq) return;
          set(s.root, "aria-busy", "false");
          // Refresh only while visible; a hidden page refreshes when it is shown again.
          if (c.refresh)
            s.timer = setTimeout(() => {
              if (d.visibilityState == "hidden") s.waiting = 1;
              else load(el);
            }, c.refresh * 1000);
        })
        .catch(() => {});
    },
    setup = (el) => {
      const c = config(el);
      if (!c.api) return;
      if (!d.getElementById("mostread-css") && !d.querySelector("link[data-mostread-css]")) {
        const style = make("style", "", CSS),
          head = d.head || d.documentElement;
        style.id = "mostread-css";
        if (script && script.nonce) style.nonce = script.nonce;
        head.insertBefore(style, head.firstChild); // first, so the site's own rules win ties
      }
      const level = +attr(el, "heading-level"),
        root = make("div", "mr-widget"),
        heading = root.appendChild(make("h" + (level > 1 && level < 7 ? level : 2), "mr-title", c.title)),
        s = {
          root: root,
          heading: heading,
          list: root.appendChild(make("ol", "mr-list")),
          status: root.appendChild(make("p", "mr-status")),
          seq: 0,
        };
      heading.id = "mr-h-" + ++states.n;
      set(root, "role", "region");
      set(root, "aria-labelledby", heading.id);
      set(s.status, "role", "status");
      el.textContent = "";
      el.appendChild(root);
      states.set(el, s);
      // The last good list of this exact query, shown at once while the fresh one loads.
      try {
        draw(s, c, JSON.parse(sessionStorage.getItem(c.key)));
      } catch (e) {}
      load(el);
    },
    // Sets up the widgets in (or at) root that are new; with again, reloads the others.
    scan = (root, again) => {
      try {
        root = root || d;
        const found = [...(root.querySelectorAll ? root.querySelectorAll("[" + MARK + "]") : [])];
        if (root.hasAttribute && root.hasAttribute(MARK)) found.unshift(root);
        found.forEach((el) => {
          try {
            if (!states.has(el)) setup(el);
            else if (again) load(el);
          } catch (e) {}
        });
      } catch (e) {}
    };
  try {
    if (w.mostread) return; // a second copy of the script leaves the first in charge
    states.n = 0;
    w.mostread = { version: "1.0.0", render: (el) => scan(el, 1) };
    d.addEventListener("visibilitychange", () => {
      try {
        if (d.visibilityState != "hidden")
          d.querySelectorAll("[" + MARK + "]").forEach((el) => {
            const s = states.get(el);
            if (s && s.waiting) load(el);
          });
      } catch (e) {}
    });
    scan(d);
    // An async script may run before the rest of the page has been parsed.
    if (d.readyState == "loading") d.addEventListener("DOMContentLoaded", () => scan(d));
  } catch (e) {}
})();
