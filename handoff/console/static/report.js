/* The owner's report: draws the charts from the page's JSON block (#report-data) with
   Chart.js (served by the console from web/node_modules, /static/vendor/chart.umd.js).
   The tables on the page hold the same figures; without the library they still do. */
(function () {
  "use strict";

  var source = document.getElementById("report-data");
  if (!source) return;
  var data = JSON.parse(source.textContent || "{}");
  var canvases = document.querySelectorAll("canvas[data-chart]");
  if (typeof window.Chart === "undefined") {
    canvases.forEach(function (canvas) { canvas.parentNode.classList.add("hidden"); });
    return;
  }

  var css = getComputedStyle(document.documentElement);
  function color(name, fallback) { return (css.getPropertyValue(name) || "").trim() || fallback; }
  var OUTCOME_COLORS = [color("--ok", "#15803d"), color("--brand", "#0f766e"), color("--err", "#b91c1c")];
  var PALETTE = ["#0f766e", "#2563eb", "#b45309", "#7c3aed", "#db2777", "#64748b", "#15803d"];

  Chart.defaults.font.family = color("--font", "system-ui");
  Chart.defaults.color = color("--text", "#1e293b");
  Chart.defaults.animation = false;  // drawn at once: the page is read, not watched
  Chart.defaults.maintainAspectRatio = false;

  function doughnut(part) {
    return {
      type: "doughnut",
      data: { labels: part.labels, datasets: [{ data: part.values, backgroundColor: PALETTE }] },
      options: { plugins: { legend: { position: "right" } } }
    };
  }

  function bars(part, horizontal) {
    return {
      type: "bar",
      data: { labels: part.labels, datasets: [{ data: part.values, backgroundColor: PALETTE[0] }] },
      options: {
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    };
  }

  function series(part, colors, stacked) {
    return {
      type: "bar",
      data: {
        labels: part.labels,
        datasets: part.series.map(function (s, i) {
          return { label: s.label, data: s.values, backgroundColor: colors[i % colors.length] };
        })
      },
      options: {
        plugins: { legend: { position: "bottom" } },
        scales: { x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } } }
      }
    };
  }

  var BUILD = {
    days: function (d) { return series(d.days, OUTCOME_COLORS, true); },
    outcomes: function (d) {
      var config = doughnut(d.outcomes);
      config.data.datasets[0].backgroundColor = OUTCOME_COLORS;
      return config;
    },
    reasons: function (d) { return bars(d.reasons, true); },
    channels: function (d) { return doughnut(d.channels); },
    languages: function (d) { return doughnut(d.languages); },
    ratings: function (d) { return series(d.ratings, [PALETTE[1], PALETTE[0]], false); },
    questions: function (d) { return bars(d.questions, true); }
  };

  canvases.forEach(function (canvas) {
    var name = canvas.getAttribute("data-chart");
    if (!BUILD[name] || !data[name]) return;
    new Chart(canvas, BUILD[name](data));
    canvas.setAttribute("data-drawn", "1");
  });
})();
