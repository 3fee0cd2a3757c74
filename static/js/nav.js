/* The header's one menu on a phone: closed below 48rem, open (its toggle hidden) from 48rem.
   Without script the menu simply stays open. The Boards menu closes on a click elsewhere or Escape. */
(function () {
  "use strict";
  var menu = document.querySelector("[data-nav-menu]");
  if (!menu || !window.matchMedia) return;
  var phone = window.matchMedia("(max-width: 47.99rem)");
  function fit() { menu.open = !phone.matches; }
  fit();
  if (phone.addEventListener) phone.addEventListener("change", fit);
  document.addEventListener("click", function (event) {
    var boards = document.querySelector("[data-boards-menu]");
    if (boards && boards.open && !boards.contains(event.target)) boards.open = false;
  });
  document.addEventListener("keydown", function (event) {
    var boards = document.querySelector("[data-boards-menu]");
    if (event.key === "Escape" && boards && boards.open) {
      boards.open = false;
      boards.querySelector("summary").focus();
    }
  });
})();
