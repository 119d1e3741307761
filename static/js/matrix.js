// Module/verb matrices: ticking a module ticks all its verbs (untick some to narrow it),
// unticking clears them; ticking a verb ticks its module; the header box ticks every module.
document.querySelectorAll("[data-matrix]").forEach((table) => {
  const rows = [...table.querySelectorAll("[data-matrix-row]")];
  const all = table.querySelector("[data-matrix-all]");
  const setRow = (row, on) => {
    const module = row.querySelector("[data-matrix-module]");
    if (!module) return;
    module.checked = on;
    row.querySelectorAll("[data-matrix-verb]").forEach((verb) => { verb.checked = on; });
  };
  table.addEventListener("change", (event) => {
    const target = event.target;
    const row = target.closest("[data-matrix-row]");
    if (target.matches("[data-matrix-all]")) rows.forEach((r) => setRow(r, target.checked));
    else if (target.matches("[data-matrix-module]")) setRow(row, target.checked);
    else if (target.matches("[data-matrix-verb]")) {
      const module = row.querySelector("[data-matrix-module]");
      module.checked = [...row.querySelectorAll("[data-matrix-verb]")].some((verb) => verb.checked);
    }
  });
  if (all) all.hidden = false;
});
