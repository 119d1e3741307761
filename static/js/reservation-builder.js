// Make A Reservation: the selection summary follows the ticked devices, the period and the
// target as they are typed (the server draws the same summary on each submit, so the page
// also works without JavaScript). "Select all" is sent to the server (HTMX), which ticks
// every matching device on every page.
(() => {
  const form = document.getElementById("reservation-form");
  if (!form) return;
  const number = (text) => {
    const value = parseFloat(text);
    return Number.isFinite(value) ? value : 0;
  };
  const plain = (value, places) => String(Number(value.toFixed(places)));
  const hoursTyped = () => {
    const start = form.elements.reservationStartDate?.value;
    const end = form.elements.reservationEndDate?.value;
    if (!start || !end) return null;
    const hours = (Date.parse(`${end}Z`) - Date.parse(`${start}Z`)) / 3600000;
    return Number.isFinite(hours) && hours > 0 ? hours : null;
  };
  const refresh = () => {
    const summary = form.querySelector("[data-testid=selection-summary]");
    if (!summary) return;
    const ticked = [...form.querySelectorAll("input[name=deviceIds]:checked")];
    const count = number(summary.dataset.otherCount) + ticked.length;
    const kw = number(summary.dataset.otherKw) + ticked.reduce((sum, box) => sum + number(box.dataset.kw), 0);
    summary.querySelector("[data-selection-text]").textContent =
      `Selected: ${count} device${count === 1 ? "" : "s"}` + (count ? ` (${plain(kw, 3)} kW)` : "");
    const energy = summary.querySelector("[data-selection-energy]");
    const hours = hoursTyped();
    if (hours === null) {
      energy.textContent = " · enter the period to estimate the energy";
      return;
    }
    const reachable = (kw * hours) / 1000;
    const target = number(form.elements.targetCapacityInMegaWattHour?.value);
    energy.textContent = ` · up to ${plain(reachable, 3)} MWh over the period at full capacity`;
    if (target > 0) {
      energy.append(`, target ${plain(target, 6)} MWh`);
      if (reachable < target) {
        const below = document.createElement("span");
        below.className = "text-danger-emphasis fw-semibold";
        below.textContent = " (below the target)";
        energy.append(below);
      }
    }
  };
  form.addEventListener("change", (event) => {
    if (event.target.name === "deviceIds" && !event.target.checked) {
      // One device unticked: "all matching" no longer holds.
      const all = form.querySelector("[data-select-all]");
      if (all) all.checked = false;
      if (form.elements.selectAllWas) form.elements.selectAllWas.value = "0";
    }
    refresh();
  });
  form.addEventListener("input", (event) => {
    if (["reservationStartDate", "reservationEndDate", "targetCapacityInMegaWattHour"].includes(event.target.name)) refresh();
  });
  document.body.addEventListener("htmx:afterSettle", refresh);
})();
