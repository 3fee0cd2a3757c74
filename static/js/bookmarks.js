// Bookmark toggles without reloading the page. The forms (form[data-bookmark]) work without JavaScript;
// here the same request goes through fetch() and the JSON answer {"bookmarked", "id"} flips the button.
(() => {
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("form[data-bookmark]")) return;
    event.preventDefault();
    const body = new FormData(form);
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": body.get("csrf_token") },
      });
      const data = await response.json().catch(() => null);
      if (response.ok && data) {
        button.textContent = data.bookmarked ? form.dataset.labelOn : form.dataset.labelOff;
        button.classList.toggle("bookmarked", data.bookmarked);
        button.setAttribute("aria-pressed", String(data.bookmarked));
      } else {
        form.submit();  // let the page say what went wrong
      }
    } catch (error) {
      form.submit();
    } finally {
      button.disabled = false;
    }
  });
})();
