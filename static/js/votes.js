// Vote without reloading the page. The vote forms (form[data-vote]) work without JavaScript too:
// each button posts value=1, -1, or 0 to take a vote back; here the same request goes through fetch()
// and the JSON answer {"score", "my_vote"} updates the score and the pressed button in place.
(() => {
  const show = (form, score, mine) => {
    form.querySelector(".score").textContent = score;
    const up = form.querySelector(".vote-up");
    const down = form.querySelector(".vote-down");
    up.value = mine === 1 ? "0" : "1";
    down.value = mine === -1 ? "0" : "-1";
    up.setAttribute("aria-pressed", String(mine === 1));
    down.setAttribute("aria-pressed", String(mine === -1));
  };

  const fail = (form, message) => {
    const box = form.querySelector(".vote-error");
    box.textContent = message;
    box.hidden = false;
  };

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    const button = event.submitter;
    if (!form.matches("form[data-vote]") || !button || button.name !== "value") {
      return;
    }
    event.preventDefault();
    const body = new FormData(form);
    body.set("value", button.value);
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    form.querySelector(".vote-error").hidden = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": body.get("csrf_token") },
      });
      const data = await response.json().catch(() => null);
      if (response.ok && data) {
        show(form, data.score, data.my_vote);
      } else {
        fail(form, (data && data.error && data.error.message) || response.statusText);
      }
    } catch (error) {
      fail(form, String(error));
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
})();
