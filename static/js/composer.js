// The composer (templates/_macros/composer.html): toolbar, live preview rendered by the server, drafts kept
// as one types, @member and #tag completion, Ctrl/Cmd+Enter to send, Esc to minimise, and "Quote" on text
// selected in a post. Without this file the composer is a plain form.
(function () {
  "use strict";
  if (window.composerLoaded) return;
  window.composerLoaded = true;

  var PREVIEW_DELAY = 400, DRAFT_DELAY = 800;

  function csrf(form) {
    var input = form.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  function send(form, method, url, payload, keepalive) {
    var options = {method: method, credentials: "same-origin", keepalive: !!keepalive,
                   headers: {"Accept": "application/json", "X-CSRFToken": csrf(form)}};
    if (payload !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    return fetch(url, options);
  }

  // ---- editing the text ------------------------------------------------------------------------------

  function replaceRange(box, start, end, text, selectFrom, selectTo) {
    box.focus();
    box.setRangeText(text, start, end, "end");
    if (selectFrom !== undefined) box.setSelectionRange(start + selectFrom, start + selectTo);
    box.dispatchEvent(new Event("input", {bubbles: true}));
  }

  function wrap(box, before, after, fallback) {
    var start = box.selectionStart, end = box.selectionEnd;
    var chosen = box.value.slice(start, end) || fallback;
    replaceRange(box, start, end, before + chosen + after, before.length, before.length + chosen.length);
  }

  function prefixLines(box, prefix) {
    var start = box.value.lastIndexOf("\n", box.selectionStart - 1) + 1, end = box.selectionEnd;
    var lines = box.value.slice(start, end).split("\n").map(function (line) { return prefix + line; });
    replaceRange(box, start, end, lines.join("\n"));
  }

  function insertBlock(box, text) {
    var at = box.selectionStart, before = box.value.slice(0, at);
    var lead = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
    replaceRange(box, at, box.selectionEnd, lead + text);
  }

  var ACTIONS = {
    bold: function (box) { wrap(box, "**", "**", "bold"); },
    italic: function (box) { wrap(box, "_", "_", "italic"); },
    link: function (box) {
      var start = box.selectionStart, end = box.selectionEnd, label = box.value.slice(start, end) || "text";
      replaceRange(box, start, end, "[" + label + "](https://)", label.length + 3, label.length + 11);
    },
    quote: function (box) { prefixLines(box, "> "); },
    code: function (box) {
      var chosen = box.value.slice(box.selectionStart, box.selectionEnd);
      if (chosen.indexOf("\n") >= 0) wrap(box, "```\n", "\n```", "");
      else wrap(box, "`", "`", "code");
    },
    list: function (box) { prefixLines(box, "- "); }
    // image: static/js/uploads.js binds to [data-composer-action="image"]
  };

  // ---- one composer --------------------------------------------------------------------------------------

  function Composer(form) {
    var box = form.querySelector("textarea[data-composer-input]");
    if (!box) return;
    var pane = form.querySelector("[data-composer-preview]");
    var paneBody = pane && pane.querySelector(".post-body");
    var status = form.querySelector("[data-composer-status]");
    var toggle = form.querySelector("[data-composer-toggle]");
    var draftKey = box.dataset.draftKey;
    var draftUrl = draftKey ? box.dataset.draftUrl.replace(/KEY$/, draftKey) : null;
    var previewTimer = null, draftTimer = null, lastPreview = null, savedBody = null, submitting = false;
    var original = box.value;

    var toolbar = form.querySelector(".composer-toolbar");
    if (toolbar) toolbar.hidden = false;
    if (toggle) toggle.hidden = false;
    form.querySelectorAll("[data-composer-action]").forEach(function (button) {
      var action = ACTIONS[button.dataset.composerAction];
      if (action) button.addEventListener("click", function () { action(box); });
    });

    function say(text) { if (status) status.textContent = text; }

    // live preview, rendered by the server with the renderer of saved posts
    function preview() {
      var body = box.value;
      if (body === lastPreview) return;
      lastPreview = body;
      if (!body.trim()) { pane.hidden = true; paneBody.textContent = ""; return; }
      send(form, "POST", box.dataset.previewUrl, {body: body})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || box.value !== body) return;
          paneBody.innerHTML = data.html;  // sanitized by the server (community/text.py)
          pane.hidden = false;
        })
        .catch(function () {});
    }

    // drafts: kept on the server as one types, restored on return, discarded by the server on sending
    function saveDraft(keepalive) {
      clearTimeout(draftTimer);
      if (!draftUrl || submitting || box.value === savedBody) return;
      var body = box.value;
      if (savedBody === null && body === original) return;  // nothing typed yet
      savedBody = body;
      send(form, "PUT", draftUrl, {body: body === original && original ? "" : body}, keepalive)
        .then(function (r) { if (r.ok && !submitting && body.trim()) say(box.dataset.savedText); })
        .catch(function () { savedBody = null; });
    }

    function restoreDraft() {
      if (!draftUrl) return;
      send(form, "GET", draftUrl)
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || !data.body || data.body === box.value || box.value !== original) return;
          // An edit's draft is the whole new text; elsewhere a prefilled quote follows the draft.
          var keep = original && !/^post:/.test(draftKey) && data.body.indexOf(original.trim()) < 0;
          box.value = keep ? data.body.replace(/\s*$/, "\n\n") + original : data.body;
          savedBody = data.body;
          schedulePreview();
          say(box.dataset.restoredText);
          var discard = document.createElement("button");
          discard.type = "button";
          discard.className = "link";
          discard.textContent = box.dataset.discardText;
          discard.addEventListener("click", function () {
            box.value = original;
            savedBody = original;
            send(form, "DELETE", draftUrl).catch(function () {});
            say("");
            schedulePreview();
          });
          status.appendChild(document.createTextNode(" "));
          status.appendChild(discard);
        })
        .catch(function () {});
    }

    function schedulePreview() {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(preview, PREVIEW_DELAY);
    }

    box.addEventListener("input", function () {
      schedulePreview();
      clearTimeout(draftTimer);
      draftTimer = setTimeout(saveDraft, DRAFT_DELAY);
    });
    window.addEventListener("pagehide", function () { saveDraft(true); });
    form.addEventListener("submit", function () {
      submitting = true;
      clearTimeout(draftTimer);
    });

    // minimise with Esc, open again with the button (or by focusing the text box)
    function minimise(yes) {
      form.classList.toggle("is-minimised", yes);
      if (!toggle) return;
      toggle.setAttribute("aria-expanded", yes ? "false" : "true");
      toggle.textContent = yes ? toggle.dataset.expandText : toggle.dataset.collapseText;
      if (!yes) box.focus();
    }
    if (toggle) toggle.addEventListener("click", function () {
      minimise(!form.classList.contains("is-minimised"));
      if (form.classList.contains("is-minimised")) toggle.focus();
    });

    box.addEventListener("keydown", function (event) {
      if (completion.open()) return;  // the list of names has the keys while it is open
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      } else if (event.key === "Escape") {
        event.preventDefault();
        minimise(true);
        if (toggle) toggle.focus();
      }
    });

    var completion = Completion(form, box, "body");
    var tags = form.querySelector("input[name=tags]");
    if (tags) Completion(form, tags, "tags");

    form.composer = {
      box: box,
      insertQuote: function (text) { minimise(false); insertBlock(box, text); },
      open: function () { minimise(false); }
    };
    restoreDraft();
    if (box.value) schedulePreview();
  }

  // ---- @member and #tag completion: an ARIA listbox under the text box ----------------------------------

  var TRIGGER = /(^|[\s(（，。、])([@#])([\p{L}\p{N}_.\-]{1,32})$/u;
  var TAG_WORD = /(^|[,\s])([\p{L}\p{N}\-]{1,32})$/u;
  var listCount = 0;

  function Completion(form, box, mode) {
    var list = document.createElement("ul");
    var id = "composer-suggestions-" + (++listCount);
    list.id = id;
    list.className = "composer-suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    box.insertAdjacentElement("afterend", list);
    // a textarea is a textbox: aria-expanded is not allowed on it (axe aria-allowed-attr); the list is
    // announced through aria-controls and aria-activedescendant
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", id);
    var items = [], active = -1, match = null, timer = null, asked = "";
    var membersUrl = form.querySelector("[data-members-url]").dataset.membersUrl;
    var tagsUrl = form.querySelector("[data-tags-url]").dataset.tagsUrl;

    function close() {
      list.hidden = true;
      list.textContent = "";
      items = [];
      active = -1;
      box.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) box.setAttribute("aria-activedescendant", id + "-" + index);
    }

    function pick(index) {
      var item = items[index];
      if (!item || !match) return;
      var end = box.selectionStart, start = end - match.word.length - match.sigil.length;
      var text = match.sigil + item.value + (mode === "tags" ? ", " : " ");
      box.focus();
      box.setRangeText(text, start, end, "end");
      box.dispatchEvent(new Event("input", {bubbles: true}));
      close();
    }

    function show(found) {
      list.textContent = "";
      items = found;
      found.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = id + "-" + i;
        li.setAttribute("role", "option");
        li.dataset.value = item.value;
        li.textContent = item.label;
        li.addEventListener("mousedown", function (event) { event.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      list.hidden = !found.length;
      highlight(found.length ? 0 : -1);
    }

    function current() {
      if (box.selectionStart !== box.selectionEnd) return null;
      var before = box.value.slice(0, box.selectionStart);
      if (mode === "tags") {
        var t = TAG_WORD.exec(before);
        return t ? {sigil: "", word: t[2], kind: "#"} : null;
      }
      var m = TRIGGER.exec(before);
      return m ? {sigil: m[2], word: m[3], kind: m[2]} : null;
    }

    function lookup() {
      match = current();
      if (!match) { close(); return; }
      var url = (match.kind === "@" ? membersUrl : tagsUrl) + "?q=" + encodeURIComponent(match.word);
      if (url === asked) return;
      asked = url;
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {items: []}; })
        .then(function (data) {
          if (url !== asked) return;
          show((data.items || []).map(function (item) {
            return item.username
              ? {value: item.username, label: item.name && item.name !== item.username
                  ? item.name + " (@" + item.username + ")" : "@" + item.username}
              : {value: item.name, label: "#" + item.name};
          }));
        })
        .catch(close);
    }

    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookup, 150);
    });
    box.addEventListener("blur", function () { setTimeout(close, 100); });
    box.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + items.length) % items.length);
      } else if (event.key === "Enter" || event.key === "Tab") {
        if (active >= 0) { event.preventDefault(); event.stopImmediatePropagation(); pick(active); }
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopImmediatePropagation();
        asked = "";
        close();
      }
    });
    return {open: function () { return !list.hidden; }};
  }

  // ---- "Quote" on text selected in a post --------------------------------------------------------------

  function quoteSelection() {
    var forms = document.querySelectorAll("form[data-composer]");
    var target = forms.length === 1 ? forms[0] : document.querySelector("form[data-composer]#reply");
    if (!target) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "composer-quote-selection";
    button.textContent = target.dataset.quoteText || "Quote";
    button.hidden = true;
    document.body.appendChild(button);
    var chosen = null;

    function place() {
      var selection = window.getSelection();
      var text = selection && selection.rangeCount ? selection.toString().trim() : "";
      var node = text ? selection.getRangeAt(0).commonAncestorContainer : null;
      var element = node && (node.nodeType === 1 ? node : node.parentElement);
      var body = element && element.closest(".post-body");
      var post = body && body.closest("article.post");
      if (!post || target.contains(body)) { button.hidden = true; chosen = null; return; }
      var link = post.querySelector("a.permalink");
      chosen = {text: text, author: post.dataset.author || "", url: link ? link.getAttribute("href") : ""};
      var rect = selection.getRangeAt(0).getBoundingClientRect();
      button.style.top = (window.scrollY + rect.bottom + 6) + "px";
      button.style.left = (window.scrollX + rect.left) + "px";
      button.hidden = false;
    }

    document.addEventListener("mouseup", function (event) {
      if (event.target === button) return;
      setTimeout(place, 0);
    });
    document.addEventListener("keyup", function (event) { if (event.shiftKey) place(); });
    button.addEventListener("mousedown", function (event) { event.preventDefault(); });
    button.addEventListener("click", function () {
      if (!chosen || !target.composer) return;
      var lines = chosen.text.split("\n").map(function (line) { return "> " + line; }).join("\n");
      var head = chosen.author ? "> [@" + chosen.author + "](" + chosen.url + "):\n>\n" : "";
      target.composer.insertQuote(head + lines + "\n\n");
      button.hidden = true;
      target.scrollIntoView({block: "nearest"});
    });
  }

  // ---- "Reply" and "Quote" under a post: the thread's own composer, docked at the bottom of the window ----
  // (the thread stays in view; without this file the links open the reply page)

  function replyInPlace() {
    var target = document.querySelector("form[data-composer]#reply");
    if (!target || !target.composer) return;
    var field = target.querySelector("input[name=reply_to]");
    var note = document.createElement("p");
    note.className = "composer-replying";
    note.hidden = true;
    var label = document.createElement("span");
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "link";
    cancel.textContent = target.dataset.cancelText || "Cancel";
    note.appendChild(label);
    note.appendChild(document.createTextNode(" "));
    note.appendChild(cancel);
    target.insertBefore(note, target.querySelector(".composer-body"));

    function undock() {
      if (field) field.value = "";
      note.hidden = true;
      target.classList.remove("is-docked");
      document.body.classList.remove("has-docked-composer");
    }
    cancel.addEventListener("click", undock);

    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[data-reply-to]");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      var post = link.closest("article.post");
      if (!post) return;
      event.preventDefault();
      if (field) field.value = link.dataset.replyTo;
      var permalink = post.querySelector("a.permalink");
      label.textContent = (target.dataset.replyingText || "In reply to") + " " + (post.dataset.author || "") + " " +
        (permalink ? permalink.textContent : "");
      note.hidden = false;
      target.classList.add("is-docked");
      document.body.classList.add("has-docked-composer");
      if (link.hasAttribute("data-quote")) {
        var body = post.querySelector(".post-body");
        var text = body ? body.innerText.trim() : "";
        var head = post.dataset.author ? "> [@" + post.dataset.author + "](" +
          (permalink ? permalink.getAttribute("href") : "") + "):\n>\n" : "";
        target.composer.insertQuote(head + text.split("\n").map(function (line) { return "> " + line; }).join("\n") + "\n\n");
      } else {
        target.composer.open();
      }
      target.querySelector("textarea[data-composer-input]").focus();
    });
    target.addEventListener("submit", function () { document.body.classList.remove("has-docked-composer"); });
  }

  function start() {
    document.querySelectorAll("form[data-composer]").forEach(Composer);
    quoteSelection();
    replyInPlace();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
