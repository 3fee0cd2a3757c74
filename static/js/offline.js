/* Offline reading (see static/js/sw.js): registers the service worker, shows the "saved copy" notice on a
   page the worker served from its cache, and asks the worker to forget kept pages when the reader signs out. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) {
    return;
  }
  navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(() => null);

  function showNotice() {
    if (document.getElementById("offline-notice")) {
      return;
    }
    const text = document.querySelector('meta[name="offline-notice"]');
    const notice = document.createElement("p");
    notice.id = "offline-notice";
    notice.className = "flash flash-warning offline-notice";
    notice.setAttribute("role", "status");
    notice.textContent = text ? text.content : "You are offline — this is a saved copy.";
    const main = document.getElementById("main") || document.body;
    main.insertBefore(notice, main.firstChild);
  }

  function purge() {
    if (navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({type: "purge"});
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (document.documentElement.dataset.offlineCopy === "1") {
      showNotice();
    }
    document.querySelectorAll('form[action="/logout"]').forEach(form => form.addEventListener("submit", purge));
  });
})();
