// Reactions without reloading the page. The reaction forms (form[data-react]) work without JavaScript:
// each button posts kind=<code> (the same again takes it back). Here the same request goes through fetch()
// and the JSON answer {"post_id", "counts", "mine"} updates the counts and the pressed button in place.
// Live counts from other readers arrive as the DOM event "community:reactions" (static/js/realtime.js).
(() => {
  const show = (box, counts, mine) => {
    let any = false;
    box.querySelectorAll("[data-kind]").forEach((el) => {
      const n = counts[el.dataset.kind] || 0;
      any = any || n > 0;
      el.querySelector(".reaction-count").textContent = n ? String(n) : "";
      if (el.tagName === "BUTTON") {
        if (mine !== undefined) {
          el.classList.toggle("mine", mine === el.dataset.kind);
          el.setAttribute("aria-pressed", String(mine === el.dataset.kind));
        }
      } else {
        el.hidden = !n;
      }
    });
    const who = box.querySelector(".reactions-who");
    if (who) who.hidden = !any;
  };

  const fail = (form, message) => {
    const box = form.querySelector(".reaction-error");
    box.textContent = message;
    box.hidden = false;
  };

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    const button = event.submitter;
    if (!form.matches("form[data-react]") || !button || button.name !== "kind") return;
    event.preventDefault();
    const body = new FormData(form);
    body.set("kind", button.value);
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    form.querySelector(".reaction-error").hidden = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": body.get("csrf_token") },
      });
      const data = await response.json().catch(() => null);
      if (response.ok && data) {
        show(form.closest("[data-reactions]"), data.counts || {}, data.mine || null);
      } else {
        fail(form, (data && data.error && data.error.message) || response.statusText);
      }
    } catch (error) {
      fail(form, String(error));
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });

  document.addEventListener("community:reactions", (event) => {
    const d = event.detail || {};
    const box = document.querySelector(`[data-reactions][data-post-id="${Number(d.post_id)}"]`);
    if (box) show(box, d.counts || {});
  });
})();
