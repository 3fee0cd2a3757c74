// "Before you post": while a new thread's title is typed, list similar threads (GET /search/similar).
(function () {
  "use strict";
  var box = document.getElementById("similar-threads");
  if (!box) return;
  var input = document.getElementById(box.dataset.titleField || "title");
  if (!input) return;
  var field = input.closest(".field");
  if (field) field.insertAdjacentElement("afterend", box);  // show the suggestions under the title
  var list = box.querySelector("ul"), row = box.querySelector("template");
  var solved = box.querySelector(".solved-label").textContent;
  var timer = null, last = "", controller = null;

  function show(items) {
    list.textContent = "";
    items.forEach(function (item) {
      var li = row.content.firstElementChild.cloneNode(true);
      var link = li.querySelector("a");
      link.href = item.url;
      link.textContent = item.title;
      link.target = "_blank";
      li.querySelector(".meta").textContent = item.board + (item.solved ? " · " + solved : "");
      list.appendChild(li);
    });
    box.hidden = items.length === 0;
  }

  function lookup() {
    var title = input.value.trim();
    if (title === last) return;
    last = title;
    if (title.length < 4) { show([]); return; }
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    fetch(box.dataset.url + "?title=" + encodeURIComponent(title),
          {headers: {"Accept": "application/json"}, credentials: "same-origin",
           signal: controller ? controller.signal : undefined})
      .then(function (r) { return r.ok ? r.json() : {items: []}; })
      .then(function (data) { show(data.items || []); })
      .catch(function () { /* typing on: a newer lookup replaced this one */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 300);
  });
  if (input.value) lookup();
})();
