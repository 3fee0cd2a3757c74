// Polls, progressive enhancement only: every form works without this file.
// 1. The closing time of a new poll is read in the browser's time zone (the server assumes UTC otherwise).
// 2. On a multiple-choice ballot, options beyond the allowed number are disabled while the limit is reached.
(function () {
  "use strict";
  document.querySelectorAll("[data-poll-fields]").forEach(function (box) {
    if (box.dataset.pollReady) { return; }
    box.dataset.pollReady = "1";
    box.querySelectorAll("input[name$='tz_offset']").forEach(function (input) {
      input.value = String(new Date().getTimezoneOffset());
    });
    var help = box.querySelector("[data-local-help] .help");
    if (help) { help.textContent = box.querySelector("[data-local-help]").dataset.localHelp; }
  });
  document.querySelectorAll("form[data-max-choices]").forEach(function (form) {
    if (form.dataset.pollReady) { return; }
    form.dataset.pollReady = "1";
    var max = parseInt(form.dataset.maxChoices, 10);
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=option]"));
    function update() {
      var full = boxes.filter(function (b) { return b.checked; }).length >= max;
      boxes.forEach(function (b) { b.disabled = full && !b.checked; });
    }
    boxes.forEach(function (b) { b.addEventListener("change", update); });
    update();
  });
})();
