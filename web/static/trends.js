// Draws the trends page's two charts from the same JSON the table and the CSV are built from.
document.addEventListener("DOMContentLoaded", function () {
  var table = document.getElementById("trend-table");
  if (!table || typeof Chart === "undefined") { return; }
  fetch(table.dataset.source, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      var weeks = data.weeks.map(function (w) { return w.week; });
      var pick = function (name) { return data.weeks.map(function (w) { return w[name]; }); };
      new Chart(document.getElementById("flow"), {
        type: "bar",
        data: { labels: weeks, datasets: [
          { label: "Opened", data: pick("opened"), backgroundColor: "#d9822b" },
          { label: "Closed", data: pick("closed"), backgroundColor: "#2e8b57" }] },
        options: { animation: false, responsive: true, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
      });
      new Chart(document.getElementById("backlog"), {
        type: "line",
        data: { labels: weeks, datasets: [{ label: "Open", data: pick("backlog"), borderColor: "#0b5cad",
          backgroundColor: "rgba(11, 92, 173, .15)", fill: true, tension: 0.2 }] },
        options: { animation: false, responsive: true, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
      });
      document.body.dataset.chartsReady = "yes";
    });
});
