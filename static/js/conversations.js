/* Live private messages: the unread badge in the header, and new messages on an open conversation page.
 *
 * Uses realtime.js's socket (window.communitySocket). The event `conversation_message` carries ids only;
 * the message's markup comes from /messages/<id>/live/<message_id> (the page's own checks; it marks the
 * conversation read) and the count from /messages/unread. Without a socket the pages work as plain HTML.
 */
(function () {
  "use strict";
  var socket = window.communitySocket;
  if (!socket) return;
  var live = document.querySelector("[data-conversation-live]");

  function showUnread() {
    fetch("/messages/unread", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) return;
        var link = document.querySelector(".messages-link");
        if (!link) return;
        var badge = link.querySelector("[data-messages-unread]");
        if (!body.unread) {
          if (badge) badge.remove();
          return;
        }
        if (!badge) {
          badge = document.createElement("span");
          badge.className = "badge badge-unread";
          badge.setAttribute("data-messages-unread", "");
          link.appendChild(document.createTextNode(" "));
          link.appendChild(badge);
        }
        badge.textContent = String(body.unread);
      })
      .catch(function () {});
  }

  function addMessage(id) {
    if (document.getElementById("message-" + id)) return Promise.resolve();
    return fetch(live.dataset.liveUrl + encodeURIComponent(id), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html || document.getElementById("message-" + id)) return;
        var box = document.createElement("div");
        box.innerHTML = html.trim();
        var article = box.firstElementChild;
        if (article) live.appendChild(article);
      });
  }

  socket.on("conversation_message", function (d) {
    if (live && String(d.conversation_id) === live.dataset.conversationLive) {
      addMessage(d.message_id).then(showUnread, showUnread);
    } else {
      showUnread();
    }
  });
})();
