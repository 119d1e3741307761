// Multi-step forms (register): one fieldset at a time, each step checked before the next.
// Without JavaScript every step is shown at once and the server checks everything.
document.querySelectorAll("form[data-steps]").forEach((form) => {
  const panels = [...form.querySelectorAll("[data-step]")];
  const labels = [...document.querySelectorAll("[data-step-label]")];
  let current = Number(form.dataset.current || 0);

  function show(index) {
    current = Math.max(0, Math.min(index, panels.length - 1));
    panels.forEach((panel, n) => { panel.hidden = n !== current; });
    labels.forEach((label, n) => {
      label.classList.toggle("active", n === current);
      label.classList.toggle("done", n < current);
    });
    const first = panels[current].querySelector("input:not([type=hidden]), select");
    if (first) first.focus();
  }

  function next() {
    const fields = [...panels[current].querySelectorAll("input, select")];
    if (fields.every((field) => field.reportValidity())) show(current + 1);
  }

  form.addEventListener("click", (event) => {
    if (event.target.closest("[data-step-next]")) next();
    if (event.target.closest("[data-step-back]")) show(current - 1);
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && current < panels.length - 1 && event.target.matches("input")) {
      event.preventDefault();
      next();
    }
  });
  form.classList.add("stepped");
  show(current);
});
