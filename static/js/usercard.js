// User cards: a member's name links to their profile ([data-usercard], community/render.py member_link).
// With this script the card (<profile URL>/card, an HTML fragment) shows in a popover:
// - mouse: after hovering the name a moment; it stays while the pointer is on the name or the card;
// - touch: the first tap shows the card, a second tap on the name opens the profile;
// - keyboard: Enter on the name shows the card and moves focus into it; Enter again opens the profile.
// Esc, a click elsewhere or focus leaving the card closes it (focus goes back to the name).
// Without JavaScript the name is a plain link to the profile.
(() => {
  const HOVER_DELAY = 450;
  const LEAVE_DELAY = 300;
  const cache = new Map();
  let popover = null;
  let anchor = null;
  let openTimer = 0;
  let closeTimer = 0;
  let lastPointer = "mouse";

  const cardUrl = (link) => `${link.pathname.replace(/\/$/, "")}/card`;

  const fetchCard = async (link) => {
    const url = cardUrl(link);
    if (!cache.has(url)) {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) {
        throw new Error(`card ${response.status}`);
      }
      cache.set(url, await response.text());
    }
    return cache.get(url);
  };

  const place = () => {
    if (!popover || !anchor) {
      return;
    }
    const box = anchor.getBoundingClientRect();
    const width = popover.offsetWidth;
    const left = Math.max(8, Math.min(box.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - width - 8));
    popover.style.left = `${left}px`;
    popover.style.top = `${box.bottom + window.scrollY + 6}px`;
  };

  const close = (returnFocus) => {
    clearTimeout(openTimer);
    clearTimeout(closeTimer);
    if (!popover) {
      return;
    }
    const link = anchor;
    popover.remove();
    popover = null;
    anchor = null;
    if (link) {
      link.removeAttribute("aria-expanded");
      if (returnFocus) {
        link.focus();
      }
    }
  };

  const open = async (link, focus) => {
    clearTimeout(closeTimer);
    if (anchor === link && popover) {
      if (focus) {
        popover.focus();
      }
      return;
    }
    let html;
    try {
      html = await fetchCard(link);
    } catch (error) {
      return; // the link still goes to the profile
    }
    close(false);
    anchor = link;
    popover = document.createElement("div");
    popover.className = "usercard-popover";
    popover.setAttribute("role", "dialog");
    popover.setAttribute("aria-label", link.textContent.trim());
    popover.tabIndex = -1;
    popover.innerHTML = html;
    document.body.appendChild(popover);
    link.setAttribute("aria-expanded", "true");
    place();
    if (focus) {
      popover.focus();
    }
  };

  const cardLink = (target) => (target instanceof Element ? target.closest("a[data-usercard]") : null);
  const inCard = (target) => popover && target instanceof Node && popover.contains(target);

  document.addEventListener("pointerdown", (event) => {
    lastPointer = event.pointerType || "mouse";
    if (popover && !inCard(event.target) && cardLink(event.target) !== anchor) {
      close(false);
    }
  });

  document.addEventListener("pointerover", (event) => {
    if (event.pointerType !== "mouse") {
      return;
    }
    const link = cardLink(event.target);
    if (link || inCard(event.target)) {
      clearTimeout(closeTimer);
    }
    if (link && link !== anchor) {
      clearTimeout(openTimer);
      openTimer = setTimeout(() => open(link, false), HOVER_DELAY);
    }
  });

  document.addEventListener("pointerout", (event) => {
    if (event.pointerType !== "mouse") {
      return;
    }
    const from = cardLink(event.target) || (inCard(event.target) ? popover : null);
    if (!from) {
      return;
    }
    const to = event.relatedTarget;
    if (to instanceof Node && (from.contains(to) || inCard(to) || (anchor && anchor.contains(to)))) {
      return;
    }
    clearTimeout(openTimer);
    if (popover && !popover.contains(document.activeElement)) {
      closeTimer = setTimeout(() => close(false), LEAVE_DELAY);
    }
  });

  document.addEventListener("click", (event) => {
    const link = cardLink(event.target);
    if (!link || inCard(event.target) || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    const keyboard = event.detail === 0; // Enter on a focused link
    const touch = lastPointer === "touch" || lastPointer === "pen";
    if ((keyboard || touch) && !(anchor === link && popover)) {
      event.preventDefault();
      open(link, true);
    }
    lastPointer = "mouse";
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && popover) {
      event.preventDefault();
      close(true);
    }
  });

  document.addEventListener("focusin", (event) => {
    if (popover && !inCard(event.target) && event.target !== anchor) {
      close(false);
    }
  });

  // Follow / Unfollow inside the card without leaving the page: post, then show the card afresh.
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!inCard(form) || !form.matches("form[data-follow]")) {
      return;
    }
    event.preventDefault();
    const body = new FormData(form);
    const response = await fetch(form.action, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": body.get("csrf_token") },
    });
    if (!response.ok) {
      form.submit(); // let the server show what went wrong on a page
      return;
    }
    const link = anchor;
    cache.delete(cardUrl(link));
    close(false);
    open(link, true);
  });

  window.addEventListener("resize", place);
})();
