// Add Read: the start field only matters for History reads. Without JavaScript it stays
// visible (its help text says so) and the server ignores it for other types.
function syncReadStart(form) {
  const type = form.querySelector("[name=type]");
  const start = form.querySelector("[data-history-only]");
  if (type && start) start.hidden = type.value !== "History";
}

document.addEventListener("change", (event) => {
  if (event.target.name === "type" && event.target.form) syncReadStart(event.target.form);
});
htmx.onLoad(() => document.querySelectorAll("#read-form").forEach(syncReadStart));
