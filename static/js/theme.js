/* The theme switch (light / dark / same as the system) and table cell labels for phones.
   The choice is kept in localStorage and in the "theme" cookie; the server reads the cookie to render
   data-theme on <html>, so the next page comes in the right colours at once (community/appearance). */
(function () {
  "use strict";
  var KEY = "theme";
  var root = document.documentElement;

  function stored() {
    try { return localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function apply(choice) {
    if (choice === "light" || choice === "dark") {
      root.setAttribute("data-theme", choice);
      document.cookie = KEY + "=" + choice + "; path=/; max-age=31536000; samesite=lax";
    } else {
      root.removeAttribute("data-theme");
      document.cookie = KEY + "=; path=/; max-age=0; samesite=lax";
    }
    try {
      if (choice === "light" || choice === "dark") localStorage.setItem(KEY, choice);
      else localStorage.removeItem(KEY);
    } catch (e) { /* private mode: the cookie still holds it */ }
  }

  // A choice kept in this browser but missing from the cookie (cleared cookies): bring it back.
  var kept = stored();
  if ((kept === "light" || kept === "dark") && root.getAttribute("data-theme") !== kept) apply(kept);

  var tools = document.querySelector("[data-page-tools]");
  var select = document.querySelector("[data-theme-choice]");
  if (tools && select) {
    select.value = root.getAttribute("data-theme") || "system";
    select.addEventListener("change", function () { apply(select.value); });
    tools.hidden = false;
  }

  // A block that scrolls sideways (code, a table in a post) must be reachable by keyboard to be scrolled.
  function focusableScrollers() {
    Array.prototype.forEach.call(document.querySelectorAll("main pre, main .post-body table, main .crm-trend"), function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) {
          box.setAttribute("tabindex", "0");
          box.setAttribute("data-scroll-focus", "");
        }
      } else if (box.hasAttribute("data-scroll-focus")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-focus");
      }
    });
  }
  focusableScrollers();
  window.addEventListener("resize", focusableScrollers);

  // Tables stack into cards on a phone (site.css); each cell shows its column's header before it.
  var tables = document.querySelectorAll("main table");
  Array.prototype.forEach.call(tables, function (table) {
    if (table.closest(".post-body")) return;
    var head = table.querySelector("thead tr");
    if (!head) return;
    var labels = [];
    Array.prototype.forEach.call(head.children, function (cell) {
      var span = parseInt(cell.getAttribute("colspan"), 10) || 1;
      for (var i = 0; i < span; i++) labels.push(cell.textContent.trim());
    });
    Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (row) {
      var column = 0;
      Array.prototype.forEach.call(row.children, function (cell) {
        if (!cell.hasAttribute("data-label") && labels[column]) cell.setAttribute("data-label", labels[column]);
        column += parseInt(cell.getAttribute("colspan"), 10) || 1;
      });
    });
  });
})();
