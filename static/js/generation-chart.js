// Device generation chart: draws every <canvas data-generation="<json script id>"> with Chart.js,
// on page load and whenever HTMX swaps one in (a new period).
htmx.onLoad((root) => {
  root.querySelectorAll("canvas[data-generation]").forEach((canvas) => {
    if (Chart.getChart(canvas)) return;
    const source = document.getElementById(canvas.dataset.generation);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: "Energy (kWh)", data: data.values, backgroundColor: "#2f9e44", maxBarThickness: 64 }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, title: { display: true, text: "kWh" } } },
      },
    });
  });
});
