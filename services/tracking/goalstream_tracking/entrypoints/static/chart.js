// A goal's value over time with uPlot (vendor/uplot, loaded before the modules as the global `uPlot`):
// the values, the expected line, the target, and each milestone as a marked vertical line. What is drawn
// is also left on the chart's element (`data-series`, JSON), so a test or a reader's tool can check it.

const MILESTONE_COLOUR = { hit: "#17803d", late: "#9a5b00", missed: "#c0262d", pending: "#6b7385" };
const seconds = (iso) => Date.parse(iso) / 1000;

export function milestoneState(m) {
  if (m.state === "hit" && m.late) return "late";
  return MILESTONE_COLOUR[m.state] ? m.state : "pending";
}

// Aligned columns for uPlot: one x (seconds) for every point and every vertex of the expected line.
export function columns(series) {
  const xs = [...new Set([...series.points.map((p) => seconds(p.at)), ...series.expected.map((e) => seconds(e.at))])]
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const value = xs.map(() => null);
  const expected = xs.map(() => null);
  for (const p of series.points) if (at.has(seconds(p.at))) value[at.get(seconds(p.at))] = p.value;
  for (const e of series.expected) if (at.has(seconds(e.at))) expected[at.get(seconds(e.at))] = e.value;
  const target = xs.map(() => (typeof series.target === "number" ? series.target : null));
  return [xs, value, expected, target];
}

function markMilestones(milestones) {
  return (u) => {
    const ctx = u.ctx;
    ctx.save();
    ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
    for (const m of milestones) {
      const x = u.valToPos(seconds(m.due), "x", true);
      if (!Number.isFinite(x) || x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
      const state = milestoneState(m);
      ctx.strokeStyle = ctx.fillStyle = MILESTONE_COLOUR[state];
      ctx.setLineDash([4 * devicePixelRatio, 4 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.fillText(`M${m.index} ${state}`, x + 4, u.bbox.top + 14 * devicePixelRatio);
    }
    ctx.restore();
  };
}

// The plot shown. uPlot keeps every plot in a list of its own (to follow scrolling and resizing) until the
// plot's destroy(): a chart drawn again on each live refresh without it kept every old plot, canvas and data.
let plot = null;

export function dropChart() {
  plot?.destroy();
  plot = null;
}

export function drawChart(into, series, unit) {
  dropChart();
  const data = columns(series);
  into.dataset.series = JSON.stringify({
    x: data[0], value: data[1], expected: data[2], target: data[3],
    milestones: series.milestones.map((m) => ({ index: m.index, due: m.due, state: milestoneState(m) })),
  });
  if (typeof window.uPlot !== "function") {
    into.textContent = "The chart library did not load (/static/vendor/uplot/uPlot.iife.min.js).";
    return null;
  }
  const y = unit ? `value (${unit})` : "value";
  const opts = {
    width: Math.max(320, Math.min(into.clientWidth || 900, 1100)),
    height: 300,
    scales: { x: { time: true } },
    axes: [{}, { label: y }],
    series: [
      {},
      { label: "value", stroke: "#3b6fd8", width: 2, spanGaps: true, points: { show: true, size: 6 } },
      { label: "expected", stroke: "#6b7385", width: 1.5, dash: [6, 4], spanGaps: true },
      { label: "target", stroke: "#17803d", width: 1, dash: [2, 3] },
    ],
    hooks: { draw: [markMilestones(series.milestones)] },
  };
  into.replaceChildren();
  plot = new window.uPlot(opts, data, into);
  return plot;
}
