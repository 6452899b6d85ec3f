// Small helpers every view shares. Text from the API (titles, owners, sources, comments, messages) is only
// ever written with textContent or createTextNode, never as HTML: the page's Content-Security-Policy
// (Trusted Types with no policy) makes the browser refuse HTML from strings anyway, so a title such as
// <img onerror=…> shows as those characters. CSS classes come from the fixed maps below, never from a value.

export const STATUS = new Map([
  ["on_track", ["on_track", "on track"]], ["at_risk", ["at_risk", "at risk"]],
  ["off_track", ["off_track", "off track"]], ["achieved", ["achieved", "achieved"]],
  ["missed", ["missed", "missed"]],
]);
export const SEVERITY = new Map([["info", "sev-info"], ["warning", "sev-warning"], ["critical", "sev-critical"]]);

export const $ = (id) => document.getElementById(id);

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

// A link inside the page (hash routes only): the href is built from an encoded id, never from HTML.
export function goalLink(id, title) {
  const a = el("a", "title", title);
  a.href = "#goal=" + encodeURIComponent(id);
  return a;
}

// Rounded to a tenth, but never to "100.0%" short of the target: 99.96% shows 99.9%, as the goal is not there.
export function percent(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "–";
  const shown = (value * 100).toFixed(1);
  return (value < 1 && shown === "100.0" ? "99.9" : shown) + "%";
}

// Six significant digits, and at least two decimals from 1,000 up (grouped): 999,999.6 of a 1,000,000 target
// must not read as the target itself, as a whole-number rounding showed it.
export function number(value, unit) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "–";
  const shown = Math.abs(value) >= 1000 ? value.toLocaleString("en", { maximumFractionDigits: 2 })
    : String(Number(value.toPrecision(6)));
  return unit ? `${shown} ${unit}` : shown;
}

export function when(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

// The status as a word in its colour: never colour alone.
export function statusBadge(status) {
  const [cls, label] = STATUS.get(status) ?? ["muted", "no status"];
  return el("span", "status " + cls, label);
}

// `said`: what a screen reader reads, the number shown beside the bar (a goal at 120% is not "100"); a goal
// with no value yet has no aria-valuenow (a reader would say 0) but says so.
export function bar(fraction, name = "progress", said = percent(fraction)) {
  const outer = el("span", "bar");
  outer.setAttribute("role", "progressbar");
  outer.setAttribute("aria-label", name); // an attribute's value: text, never markup
  const known = typeof fraction === "number" && Number.isFinite(fraction);
  const clamped = known ? Math.min(1, Math.max(0, fraction)) : 0;
  if (known) outer.setAttribute("aria-valuenow", String(Math.round(clamped * 100)));
  outer.setAttribute("aria-valuetext", known ? said : "no value yet");
  outer.setAttribute("aria-valuemin", "0");
  outer.setAttribute("aria-valuemax", "100");
  const fill = outer.appendChild(el("span"));
  fill.style.width = (clamped * 100).toFixed(1) + "%"; // the CSS object model, which the policy allows
  return outer;
}

// "3 on track · 1 at risk": a subtree's goals by status, in a fixed order.
export function countsText(counts) {
  if (!counts) return "";
  const parts = [];
  for (const [key, [, label]] of STATUS) if (counts[key]) parts.push(`${counts[key]} ${label}`);
  return parts.join(" · ");
}

export function valueAgainstTarget(goal) {
  // A rolled-up parent (weighted mean, worst) has no value of its own: say how it rolls up instead.
  if (goal.current_value === null && goal.rollup && goal.rollup !== "sum") return `${goal.rollup.replace("_", " ")} of children`;
  return `${number(goal.current_value, goal.unit)} / ${number(goal.target, goal.unit)}`;
}

export function section(title, ...children) {
  const s = el("section");
  s.append(el("h2", "", title), ...children);
  return s;
}
