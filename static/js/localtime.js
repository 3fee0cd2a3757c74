// Local times (community/localtime). The server renders every time as
// <time datetime="UTC ISO" title="absolute time (zone)">short absolute time in the reader's zone</time>;
// this script turns the recent ones into "3 hours ago" / "3小时前" in the page's language, and keeps them
// current. It also tells the server the browser's zone once: posted for a member who has none, a cookie
// `tz` for a guest (pages for guests are shared by the page cache, so nothing personal is rendered into them).
(function () {
  "use strict";
  var script = document.currentScript;
  var lang = document.documentElement.lang || "en";
  var WEEK = 7 * 24 * 3600;
  var UNITS = [["year", 365 * 24 * 3600], ["month", 30 * 24 * 3600], ["week", 7 * 24 * 3600],
               ["day", 24 * 3600], ["hour", 3600], ["minute", 60], ["second", 1]];
  var format = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, { numeric: "always" }) : null;

  function relative(seconds) {
    var size = Math.abs(seconds);
    for (var i = 0; i < UNITS.length; i++) {
      if (size >= UNITS[i][1] || UNITS[i][0] === "second") {
        return format.format(Math.round(seconds / UNITS[i][1]) || 0, UNITS[i][0]);
      }
    }
    return "";
  }

  function update(root) {
    if (!format) return;
    var now = Date.now();
    (root || document).querySelectorAll("time[datetime]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) return;
      if (!el.hasAttribute("data-absolute")) el.setAttribute("data-absolute", el.textContent);
      var seconds = Math.round((at - now) / 1000);
      // within a week: relative; older (or further ahead): the absolute local time the server wrote
      el.textContent = Math.abs(seconds) < WEEK ? relative(seconds) : el.getAttribute("data-absolute");
      el.classList.add("relative-time");
    });
  }

  function browserZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }

  function rememberZone() {
    var zone = browserZone();
    if (!zone || !script) return;
    var save = script.getAttribute("data-save");
    if (save) {  // a member without a zone: once per session, the server never replaces one they chose
      try {
        if (sessionStorage.getItem("tz-posted") === zone) return;
        sessionStorage.setItem("tz-posted", zone);
      } catch (e) { /* storage off: post anyway */ }
      var body = new URLSearchParams({ timezone: zone, detected: "1" });
      fetch(save, { method: "POST", body: body, credentials: "same-origin",
                    headers: { Accept: "application/json", "X-CSRFToken": script.getAttribute("data-csrf") } })
        .catch(function () {});
    } else if (script.hasAttribute("data-guest") && document.cookie.indexOf("tz=" + zone) < 0) {
      // IANA names are cookie-safe as they are (letters, digits, "/", "_", "+", "-")
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    }
  }

  update();
  rememberZone();
  setInterval(update, 60000);
  // times added later (live updates, loaded fragments) become relative too
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      change.addedNodes.forEach(function (node) { if (node.nodeType === 1) update(node); });
    });
  }).observe(document.body, { childList: true, subtree: true });
})();
