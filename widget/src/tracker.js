/*! mostread tracker v1 */
// Reports one view of the current article to POST {api}/v1/views.
//
//   <script async src=".../tracker.v1.js"
//           data-mostread-api="https://API_BASE" data-article-id="ARTICLE_ID"></script>
//
// or window.mostreadConfig = {api, articleId} set before the script runs (the script's own
// data-* attributes win). Never throws into the host page; sends at most one view per page view
// (window.__mostreadTracker marks a page whose view is taken care of).
//
// Once per page view it also reports that the reader stayed: {article_id, event_id, engaged: true}
// after the page has been visible for EngagedSeconds (the API writes the deployment's value into
// this file; 0 sends no such report), or when the reader scrolls to the article's end: the element
// the site marks with data-mostread-end, or without one the end of the page.
// The build only strips comments and whitespace, so local names are kept short by hand.
(() => {
  try {
    const w = window,
      d = document,
      c = w.mostreadConfig || {},
      s = d.currentScript || d.querySelector("script[data-article-id]"),
      attr = (n) => (s && s.getAttribute("data-" + n)) || "",
      api = attr("mostread-api") || c.api,
      id = attr("article-id") || c.articleId,
      // the query string's parts; the widget marks its links with mr_ref=mostread
      parts = () => location.search.slice(1).split("&"),
      types = ["prerenderingchange", "visibilitychange"],
      // EngagedSeconds, written in by the API when it serves this file (15 if served as built)
      E = +"__MOSTREAD_ENGAGED_SECONDS__",
      ms = (E >= 0 ? E : 15) * 1e3;
    if (!api || !id || w.__mostreadTracker) return;
    w.__mostreadTracker = 1;

    // event_id: 16 random bytes in base64url = 22 chars of [A-Za-z0-9_-], one per page view.
    let r, done, engaged, left, since, timer, io;
    try {
      r = crypto.getRandomValues(new Uint8Array(16));
    } catch (e) {
      r = [...Array(16)].map(() => Math.random() * 256); // fromCharCode truncates
    }
    const v = {
      article_id: String(id),
      event_id: btoa(String.fromCharCode(...r))
        .slice(0, 22)
        .replace(/\+/g, "-")
        .replace(/\//g, "_"),
    };
    if (parts().indexOf("mr_ref=mostread") >= 0) v.ref = "mostread";
    const url = String(api).replace(/\/+$/, "") + "/v1/views",
      // fetch, unlike sendBeacon, tells a failure: after a network error or a 5xx the same body (the same
      // event_id, so the server counts it once) goes once more, after Retry-After if that is at most 5 s,
      // else after 1 s. The Promise wrapper turns a synchronous throw into a rejection, even in the timer.
      post = (body, n) =>
        new Promise((ok) =>
          ok(
            fetch(url, {
              method: "POST",
              body: body,
              headers: { "content-type": "text/plain" },
              keepalive: true,
              mode: "cors",
              credentials: "omit",
            })
          )
        )
          .then((x) => {
            if (x.status > 499) throw +x.headers.get("retry-after") || 1;
          })
          .catch((t) => {
            n || t > 5 || setTimeout(post, t * 1e3 || 1e3, body, 1);
          }),
      beacon = (body) => {
        let queued;
        try {
          // text/plain keeps the request CORS-simple (no preflight).
          queued = navigator.sendBeacon(url, new Blob([body], { type: "text/plain" }));
        } catch (e) {}
        if (!queued) post(body);
      },
      // the engaged report: once, then every listener goes
      stay = () => {
        try {
          if (engaged) return;
          engaged = 1;
          clearTimeout(timer);
          io && io.disconnect();
          d.removeEventListener("visibilitychange", clock);
          w.removeEventListener("scroll", end);
          beacon(JSON.stringify({ article_id: v.article_id, event_id: v.event_id, engaged: true }));
        } catch (e) {}
      },
      // visible time only: the timer runs while the page is visible and keeps what is left when it hides
      clock = () => {
        clearTimeout(timer);
        if (since != null) left -= Date.now() - since;
        since = null;
        if (d.visibilityState == "visible") {
          since = Date.now();
          timer = setTimeout(stay, Math.max(left, 0));
        }
      },
      // without IntersectionObserver, or without a marked end: checked on (passive) scroll events only
      end = () => {
        const m = d.querySelector("[data-mostread-end]");
        if ((m ? m.getBoundingClientRect().top : d.documentElement.scrollHeight - scrollY) <= innerHeight) stay();
      },
      send = () => {
        try {
          // Not while prerendering; only once the page is (or becomes) visible; only once.
          if (done || d.prerendering || d.visibilityState == "hidden") return;
          done = 1;
          types.forEach((t) => d.removeEventListener(t, send));
          // Drop mr_ref from the address bar so reloads and shared links do not carry it.
          const all = parts(),
            keep = all.filter((p) => !/^mr_ref(=|$)/.test(p));
          try {
            if (keep.length < all.length)
              history.replaceState(
                history.state,
                "",
                location.pathname + (keep.length ? "?" + keep.join("&") : "") + location.hash
              );
          } catch (e) {}
          beacon(JSON.stringify(v));
          if (!ms) return;
          left = ms;
          d.addEventListener("visibilitychange", clock);
          clock();
          const m = d.querySelector("[data-mostread-end]");
          if (m && w.IntersectionObserver) {
            // the first callback tells where the end is now; the reader reaches it when it comes into view later
            let first = 1;
            io = new IntersectionObserver((x) => {
              x.some((e) => e.isIntersecting) && !first && stay();
              first = 0;
            });
            io.observe(m);
          } else w.addEventListener("scroll", end, { passive: true });
        } catch (e) {}
      };
    types.forEach((t) => d.addEventListener(t, send));
    Promise.resolve().then(send);
  } catch (e) {}
})();
