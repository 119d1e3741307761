// Behaviour shared by every portal page (no inline scripts: the Content-Security-Policy allows none).
// A control marked data-autosubmit submits its form when it changes (without JavaScript,
// the form keeps a visible submit button in a <noscript>).
document.addEventListener("change", (event) => {
  const control = event.target.closest("[data-autosubmit]");
  if (control && control.form) control.form.requestSubmit();
});

// The side menu's toggle (shown under 992 px, where the menu starts closed; without
// JavaScript noscript.css keeps the menu shown).
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-menu-toggle]");
  if (!toggle) return;
  const menu = document.getElementById(toggle.getAttribute("aria-controls"));
  if (!menu) return;
  const open = toggle.getAttribute("aria-expanded") !== "true";
  toggle.setAttribute("aria-expanded", String(open));
  menu.classList.toggle("open", open);
});

// Popovers (<details class="dropdown-details">): Esc or a click outside closes the open
// one and gives the focus back to its button (the summary).
function closePopover(details, refocus) {
  details.open = false;
  if (refocus) details.querySelector("summary")?.focus();
}
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const details = (event.target.closest && event.target.closest("details.dropdown-details[open]"))
    || document.querySelector("details.dropdown-details[open]");
  if (details) {
    closePopover(details, true);
    event.preventDefault();
    return;
  }
  const toggle = document.querySelector("[data-menu-toggle][aria-expanded=true]");
  if (toggle && getComputedStyle(toggle).display !== "none") {
    toggle.click();
    toggle.focus();
  }
});
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.dropdown-details[open]").forEach((details) => {
    if (!details.contains(event.target)) closePopover(details, details.contains(document.activeElement));
  });
});

// A table wider than its card scrolls inside it: keyboard users reach it with Tab (then the
// arrow keys scroll it), as for any scrolling region.
function markScrollingTables() {
  document.querySelectorAll(".table-responsive").forEach((region) => {
    if (region.scrollWidth > region.clientWidth) {
      region.setAttribute("tabindex", "0");
      region.setAttribute("role", "region");
      region.setAttribute("aria-label", "Table (scrolls sideways)");
    } else if (region.getAttribute("role") === "region") {
      region.removeAttribute("tabindex");
      region.removeAttribute("role");
      region.removeAttribute("aria-label");
    }
  });
}
document.addEventListener("DOMContentLoaded", markScrollingTables);
document.addEventListener("htmx:afterSettle", markScrollingTables);
window.addEventListener("resize", markScrollingTables);
