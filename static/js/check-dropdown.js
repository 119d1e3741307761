// Dropdowns of checkboxes (templates/partials/checkbox_dropdown.html): the summary says what is
// ticked ("Any", the one choice, or "3 selected"); Escape or a click outside closes an open one.
(() => {
  const summaryText = (dropdown) => {
    const ticked = [...dropdown.querySelectorAll("input[type=checkbox]:checked")];
    if (ticked.length === 0) return "Any";
    if (ticked.length === 1) return dropdown.querySelector(`label[for="${ticked[0].id}"]`)?.textContent.trim() || "1 selected";
    return `${ticked.length} selected`;
  };
  document.addEventListener("change", (event) => {
    const dropdown = event.target.closest("[data-check-dropdown]");
    const summary = dropdown?.querySelector("[data-check-summary]");
    if (summary) summary.textContent = summaryText(dropdown);
  });
  const closeAll = (except) => {
    document.querySelectorAll("[data-check-dropdown] details[open]").forEach((details) => {
      if (details !== except) details.open = false;
    });
  };
  document.addEventListener("click", (event) => closeAll(event.target.closest("[data-check-dropdown] details")));
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const open = event.target.closest?.("[data-check-dropdown] details[open]");
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });
})();
