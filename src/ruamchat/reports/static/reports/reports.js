// The report charts: Chart.js (served by ruamchat from static/reports/vendor, installed with npm; no CDN) draws
// what the server put in #report-charts, already in the reader's language. Each chart also has a data table
// beside it (in the page without JavaScript, for screen readers and for copying).
(function () {
  "use strict";
  var PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d",
    "#ea580c", "#475569"];

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function duration(seconds, words) {
    if (seconds === null || seconds === undefined) { return ""; }
    var s = Math.round(Math.abs(seconds)), sign = seconds < 0 ? "−" : "";
    if (s >= 86400) { return sign + (s / 86400).toFixed(1).replace(/\.0$/, "") + " " + words.d; }
    if (s >= 3600) { return sign + (s / 3600).toFixed(1).replace(/\.0$/, "") + " " + words.h; }
    if (s >= 60) { return sign + Math.round(s / 60) + " " + words.min; }
    return sign + s + " " + words.s;
  }

  function formatter(unit, words) {
    if (unit === "seconds") { return function (v) { return duration(v, words); }; }
    if (unit === "percent") { return function (v) { return v === null ? "" : Math.round(v) + "%"; }; }
    if (unit === "nps") { return function (v) { return v === null ? "" : (v > 0 ? "+" : "") + Math.round(v); }; }
    return function (v) { return v === null ? "" : Number(v).toLocaleString(document.documentElement.lang || undefined); };
  }

  function draw(spec, words) {
    var canvas = document.querySelector('canvas[data-chart="' + spec.key + '"]');
    if (!canvas || !window.Chart) { return; }
    var format = formatter(spec.unit, words);
    var doughnut = spec.kind === "doughnut";
    var datasets = spec.datasets.map(function (ds, n) {
      var colour = PALETTE[n % PALETTE.length];
      var out = { label: ds.label, data: ds.data, borderColor: colour, backgroundColor: doughnut ? PALETTE.slice(0, ds.data.length) : colour,
        spanGaps: true, tension: 0.2, pointRadius: spec.labels.length > 40 ? 0 : 2 };
      if (ds.band) {
        out.borderColor = "rgba(37, 99, 235, 0.35)";
        out.backgroundColor = "rgba(37, 99, 235, 0.12)";
        out.borderDash = [4, 4];
        out.pointRadius = 0;
        out.fill = n > 0 && spec.datasets[n - 1].band ? "-1" : false;
      }
      return out;
    });
    var axis = { ticks: { callback: function (value) { return format(value); } }, beginAtZero: spec.unit !== "nps" };
    var category = { ticks: { autoSkip: true, maxRotation: 50 } };
    if (spec.stacked) { axis.stacked = true; category.stacked = true; }
    var options = {
      responsive: true, maintainAspectRatio: false, animation: false,
      indexAxis: spec.horizontal ? "y" : "x",
      plugins: {
        legend: { display: datasets.length > 1 || doughnut, position: "bottom" },
        tooltip: { callbacks: { label: function (ctx) {
          var raw = ctx.raw;
          return (ctx.dataset.label ? ctx.dataset.label + ": " : "") + format(raw);
        } } }
      },
      scales: doughnut ? {} : (spec.horizontal ? { x: axis, y: category } : { x: category, y: axis })
    };
    if (!spec.labels.length) {
      canvas.parentNode.setAttribute("data-empty", words.none);
    }
    canvas.chart = new window.Chart(canvas, { type: spec.kind, data: { labels: spec.labels, datasets: datasets }, options: options });
  }

  function start() {
    var specs = readJson("report-charts") || [];
    var words = readJson("report-units") || { s: "s", min: "min", h: "h", d: "d", none: "" };
    if (window.Chart) {
      var style = getComputedStyle(document.body);
      window.Chart.defaults.font.family = style.fontFamily;
      window.Chart.defaults.color = style.color;
    }
    specs.forEach(function (spec) { draw(spec, words); });
    var period = document.querySelector("[data-period]");
    if (period) {
      var toggle = function () {
        document.querySelectorAll(".custom-dates").forEach(function (label) {
          label.hidden = period.value !== "custom";
        });
      };
      period.addEventListener("change", toggle);
      toggle();
    }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
