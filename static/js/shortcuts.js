/* Keyboard shortcuts on every page: j / k next / previous post, r reply, / search, ? help.
   Ignored while typing (inputs, text areas, selects, contenteditable) and with Ctrl, Alt or Meta held. */
(function () {
  "use strict";
  var help = document.getElementById("shortcuts-help");
  var current = -1;
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function typing(target) {
    if (!target || !target.closest) return false;
    return !!target.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])");
  }
  function posts() {
    return Array.prototype.slice.call(document.querySelectorAll("article.post"));
  }
  function firstBelowTop(list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].getBoundingClientRect().bottom > 1) return i;
    }
    return list.length - 1;
  }
  function goTo(step) {
    var list = posts();
    if (!list.length) return false;
    var index;
    if (current < 0 || current >= list.length || !list[current].classList.contains("is-current")) {
      index = firstBelowTop(list);
      if (step < 0 && index > 0 && list[index].getBoundingClientRect().top >= 0) index -= 1;
    } else {
      index = Math.min(list.length - 1, Math.max(0, current + step));
    }
    list.forEach(function (post) { post.classList.remove("is-current"); });
    var post = list[index];
    post.classList.add("is-current");
    if (!post.hasAttribute("tabindex")) post.setAttribute("tabindex", "-1");
    post.focus({ preventScroll: true });
    post.scrollIntoView({ block: "start", behavior: reduced ? "auto" : "smooth" });
    current = index;
    return true;
  }
  function reply() {
    var box = document.querySelector("#reply textarea");
    if (!box) return false;
    var form = document.getElementById("reply");
    var toggle = form.querySelector("[data-composer-toggle]");
    if (form.classList.contains("is-minimised") && toggle) toggle.click();  // open the minimised composer
    box.scrollIntoView({ block: "center", behavior: reduced ? "auto" : "smooth" });
    box.focus({ preventScroll: true });
    return true;
  }
  function search() {
    var box = document.querySelector(".header-search input, .search-form input[name=q]");
    if (box) {
      box.focus();
      if (box.select) box.select();
    } else {
      window.location.href = "/search";
    }
    return true;
  }
  function openHelp() {
    if (!help) return false;
    if (!help.open) {
      if (help.showModal) help.showModal(); else help.setAttribute("open", "");
    }
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || (help && help.open)) return;
    var done = false;
    switch (event.key) {
      case "j": done = !event.shiftKey && goTo(1); break;
      case "k": done = !event.shiftKey && goTo(-1); break;
      case "r": done = !event.shiftKey && reply(); break;
      case "/": done = search(); break;
      case "?": done = openHelp(); break;
    }
    if (done) event.preventDefault();
  });

  var opener = document.querySelector("[data-shortcuts-open]");
  if (opener) opener.addEventListener("click", openHelp);
})();
