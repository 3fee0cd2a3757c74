/* Live updates: thread events, presence, notifications and staff counters over Socket.IO.
 *
 * Events carry ids only; this script fetches what the reader may see from /live/posts/<id> (the same
 * markup and permission checks as the thread page). Without a socket (Redis down, proxy without
 * websockets, no JavaScript) every page still works as plain HTML. After a reconnect the thread is
 * joined again with the last post id seen, and the server answers with what was missed.
 */
(function () {
  "use strict";
  var config = document.getElementById("live-config");
  if (!config || typeof window.io !== "function") return;

  var fmt = function (pattern, values) {
    return String(pattern || "").replace(/\{(\w+)\}/g, function (_m, key) {
      return values[key] !== undefined ? values[key] : "";
    });
  };
  var plural = function (el, base, n) {
    return fmt(el.dataset[base + (n === 1 ? "One" : "Many")], { n: n });
  };

  var socket = window.io({ transports: ["websocket", "polling"], withCredentials: true });
  window.communitySocket = socket;  // shared with other live modules (conversations.js): one socket per page
  var me = { memberId: null, muted: [] };

  /* ---- notifications -------------------------------------------------------------------- */
  var unread = null;
  function showUnread(count) {
    unread = Math.max(0, count | 0);
    var link = document.querySelector(".notifications-link");
    if (!link) return;
    var badge = link.querySelector(".badge-unread");
    if (!unread) {
      if (badge) badge.remove();
      return;
    }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "badge badge-unread";
      link.appendChild(document.createTextNode(" "));
      link.appendChild(badge);
    }
    badge.textContent = String(unread);
    badge.setAttribute("aria-label", plural(config, "unread", unread));
  }

  var toasts = document.querySelector(".live-toasts");
  function toast(html) {
    if (!toasts) return;
    var box = document.createElement("div");
    box.className = "live-toast";
    box.setAttribute("role", "status");
    box.innerHTML = html;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "link live-toast-close";
    close.textContent = config.dataset.dismiss || "×";
    close.addEventListener("click", function () { box.remove(); });
    box.appendChild(close);
    toasts.appendChild(box);
    setTimeout(function () { box.remove(); }, 10000);
  }

  socket.on("hello", function (data) {
    me.memberId = data.member_id;
    me.muted = data.muted || [];
    if (typeof data.unread === "number") showUnread(data.unread);
    if (data.staff_counters) showCounters(data.staff_counters);
  });

  socket.on("notification", function (data) {
    showUnread((unread || 0) + 1);
    if (me.muted.indexOf(data.kind) !== -1) return;
    fetch("/live/notifications/" + encodeURIComponent(data.id), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html) toast(html); })
      .catch(function () {});
  });

  /* ---- staff counters ------------------------------------------------------------------- */
  var counters = document.querySelector(".staff-counters");
  function showCounters(values) {
    Object.keys(values).forEach(function (name) {  /* counters shown elsewhere, e.g. the header's Review link */
      document.querySelectorAll('[data-live-counter="' + name + '"]').forEach(function (badge) {
        badge.textContent = String(values[name]);
        badge.hidden = !values[name];
      });
    });
    if (!counters) return;
    counters.hidden = false;
    Object.keys(values).forEach(function (name) {
      var el = counters.querySelector('[data-counter="' + name + '"]');
      if (!el) return;
      el.hidden = false;
      el.querySelector(".badge").textContent = String(values[name]);
    });
  }
  var counterTimer = null;
  socket.on("staff_counters_changed", function () {
    clearTimeout(counterTimer);
    counterTimer = setTimeout(function () {
      fetch("/live/staff-counters", { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) { if (body) showCounters(body.counters); })
        .catch(function () {});
    }, 300);
  });

  /* ---- the thread on this page ---------------------------------------------------------- */
  var live = document.getElementById("live-thread");
  if (!live) return;
  var threadId = parseInt(live.dataset.threadId, 10);
  var lastSeen = parseInt(live.dataset.lastPostId, 10) || 0;
  var onLastPage = live.dataset.onLastPage === "true";
  var lastEventT = null;
  var list = document.querySelector(".posts");
  var banner = live.querySelector(".live-banner");
  var notice = live.querySelector(".live-notice");
  var presenceLine = live.querySelector(".live-presence");
  var unseen = [];
  var pending = {};

  function note(text) {
    notice.textContent = text;
    notice.hidden = !text;
  }
  function article(postId) {
    return document.querySelector('article.post[data-post-id="' + postId + '"]');
  }
  function fetchPost(postId) {
    return fetch("/live/posts/" + encodeURIComponent(postId), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return null;
        var t = document.createElement("template");
        t.innerHTML = html.trim();
        return t.content.querySelector("article.post");
      });
  }
  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 250;
  }
  function updateBanner() {
    if (!unseen.length) {
      banner.hidden = true;
      return;
    }
    banner.textContent = plural(live, "new", unseen.length);
    banner.hidden = false;
  }
  banner.addEventListener("click", function () {
    if (!onLastPage) {
      window.location.href = live.dataset.lastPostUrl;
      return;
    }
    var first = unseen.length ? article(unseen[0]) : null;
    unseen = [];
    updateBanner();
    if (first) first.scrollIntoView({ behavior: "smooth", block: "start" });
  });
  window.addEventListener("scroll", function () {
    if (unseen.length && nearBottom()) {
      unseen = [];
      updateBanner();
    }
  }, { passive: true });

  function addPost(postId) {
    if (postId > lastSeen) lastSeen = postId;
    if (!onLastPage) {  // the reader is on an earlier page: tell, do not insert
      unseen.push(postId);
      updateBanner();
      return;
    }
    if (article(postId) || pending[postId]) return;  // never twice
    pending[postId] = true;
    var stay = nearBottom();
    fetchPost(postId).then(function (el) {
      delete pending[postId];
      if (!el || article(postId) || !list) return;
      el.classList.add("live-new");
      list.appendChild(el);
      if (!stay) {
        unseen.push(postId);
        updateBanner();
      }
    }).catch(function () { delete pending[postId]; });
  }
  function refreshPost(postId) {
    var old = article(postId);
    if (!old) return;
    fetchPost(postId).then(function (el) {
      var current = article(postId);
      if (el && current) current.replaceWith(el);
    }).catch(function () {});
  }
  function showLock(locked) {
    var composer = document.getElementById("reply");
    var moderator = live.dataset.canModerate === "true";
    if (locked) {
      note(live.dataset.locked);
      if (composer && !moderator) composer.querySelectorAll("textarea, button").forEach(function (el) { el.disabled = true; });
    } else {
      note(composer ? "" : live.dataset.unlocked);
      if (composer) composer.querySelectorAll("textarea, button").forEach(function (el) { el.disabled = false; });
    }
  }
  function showPresence(p) {
    if (!p || p.thread_id !== threadId) return;
    var parts = [];
    if (p.reading > 1) parts.push(plural(live, "reading", p.reading));
    var names = (p.replying || []).filter(function (r) { return r.id !== me.memberId; })
      .map(function (r) { return r.name; });
    if (names.length) parts.push(fmt(live.dataset[names.length === 1 ? "replyingOne" : "replyingMany"], { names: names.join(", ") }));
    presenceLine.textContent = parts.join(" · ");
  }

  var locked = null;
  function join() {
    var payload = { thread_id: threadId, last_seen_post_id: lastSeen };
    if (lastEventT !== null) payload.since = lastEventT;
    socket.emit("join_thread", payload, function (answer) {
      if (!answer || answer.error) {
        if (answer && answer.error && answer.error.code === "not_found") note(live.dataset.gone);
        return;
      }
      if (lastEventT === null) lastEventT = answer.t;
      if (answer.more) note(live.dataset.reload);
      (answer.missed || []).forEach(addPost);
      (answer.changed || []).forEach(refreshPost);
      if (locked !== null && answer.locked !== locked) showLock(answer.locked);
      locked = answer.locked;
      showPresence(answer.presence);
    });
  }
  socket.on("connect", join);

  function mine(data) {
    if (!data || data.thread_id !== threadId) return false;
    if (typeof data.t === "number") lastEventT = data.t;
    return true;
  }
  socket.on("post_created", function (d) { if (mine(d)) addPost(d.post_id); });
  socket.on("post_changed", function (d) { if (mine(d)) refreshPost(d.post_id); });
  socket.on("answer", function (d) {
    if (!mine(d)) return;
    if (d.post_id) refreshPost(d.post_id);
    if (d.previous_id) refreshPost(d.previous_id);
  });
  socket.on("score", function (d) {
    if (!mine(d)) return;
    var el = article(d.post_id);
    var score = el && el.querySelector(".score");
    if (score) score.textContent = String(d.score);
  });
  var pollTimer = null;
  socket.on("poll_changed", function (d) {
    if (!mine(d)) return;
    clearTimeout(pollTimer);
    pollTimer = setTimeout(function () {
      var opening = document.getElementById("post-1");
      var poll = opening && opening.querySelector(".poll");
      if (!poll || poll.contains(document.activeElement)) return;  // do not pull a form from under a voter
      fetchPost(opening.dataset.postId).then(function (el) {
        var fresh = el && el.querySelector(".poll");
        var current = document.querySelector("#post-1 .poll");
        if (fresh && current && !current.contains(document.activeElement)) current.replaceWith(fresh);
      }).catch(function () {});
    }, 500);
  });
  socket.on("lock", function (d) {
    if (!mine(d)) return;
    locked = d.locked;
    showLock(d.locked);
  });
  socket.on("thread_access_changed", function (d) { if (mine(d)) join(); });
  socket.on("reactions", function (d) {  /* counts only: static/js/reactions.js shows them */
    if (mine(d)) document.dispatchEvent(new CustomEvent("community:reactions", { detail: d }));
  });
  socket.on("presence", showPresence);

  /* presence: a ping keeps this reader counted; typing in the composer says "is replying" */
  setInterval(function () {
    if (socket.connected) socket.emit("presence_ping", { thread_id: threadId });
  }, 30000);
  var composer = document.querySelector("#reply textarea");
  if (composer) {
    var typingSent = 0;
    var idle = null;
    var setTyping = function (active) {
      if (socket.connected) socket.emit("typing", { thread_id: threadId, active: active });
    };
    composer.addEventListener("input", function () {
      var now = Date.now();
      if (now - typingSent > 4000) {
        typingSent = now;
        setTyping(true);
      }
      clearTimeout(idle);
      idle = setTimeout(function () { typingSent = 0; setTyping(false); }, 6000);
    });
    composer.form.addEventListener("submit", function () { clearTimeout(idle); setTyping(false); });
  }
})();
