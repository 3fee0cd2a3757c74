// "Copy link" on a thread's share bar: shown only where the Clipboard API exists; the address stays
// selectable in its field for everyone else (community/share).
(function () {
  "use strict";
  document.querySelectorAll("[data-share]").forEach(function (bar) {
    var field = bar.querySelector("[data-share-url]");
    var button = bar.querySelector("[data-share-copy]");
    if (!field || !button || !navigator.clipboard) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = "✓";
        setTimeout(function () { button.textContent = label; }, 1500);
      }, function () { field.select(); });
    });
    field.addEventListener("focus", function () { field.select(); });
  });
})();
