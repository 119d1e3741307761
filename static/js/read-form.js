// Add Read: the start fields (one per read) only matter for History reads. Without
// JavaScript they stay visible (their help text says so) and the server ignores them for
// other types.
function syncReadStart(form) {
  const type = form.querySelector("[name=type]");
  if (!type) return;
  form.querySelectorAll("[data-history-only]").forEach((start) => {
    start.hidden = type.value !== "History";
  });
}

document.addEventListener("change", (event) => {
  if (event.target.name === "type" && event.target.form) syncReadStart(event.target.form);
});
htmx.onLoad(() => document.querySelectorAll("#read-form").forEach(syncReadStart));
