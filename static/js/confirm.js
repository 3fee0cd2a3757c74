// Ask before a destructive form is sent (forms marked class="confirm" data-confirm="question").
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.matches("form.confirm") && !window.confirm(form.dataset.confirm || "?")) {
    event.preventDefault();
  }
});
