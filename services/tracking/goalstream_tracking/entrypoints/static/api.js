// The tracking API as the pages read it: the key (kept in this tab only), the as-of control, and errors
// that say what went wrong and what to do next.

export const state = {
  key: sessionStorage.getItem("goalstream-key") || "",
  asOf: "", // empty: now
  mode: "recorded", // as_of_mode: recorded (as the platform knew it then) or observed (by measurement time)
};

export class ApiError extends Error {
  constructor(status, message, advice, path) {
    super(message);
    this.status = status; // 0: the network (the service is not reachable)
    this.advice = advice;
    this.path = path;
  }
  // A route this tracking does not have yet (FastAPI's own 404, not "no such goal"): the page degrades.
  get missingRoute() {
    return this.status === 404 && this.message === "Not Found";
  }
  get retryable() {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

const ADVICE = new Map([
  [401, "The API key was refused: check it (an organisation's read key, gs_…) and press Show."],
  [403, "This key may not read tracking: use the organisation's read key."],
  [422, "A value given to the page was refused: correct the field it names."],
  [503, "Tracking is not ready yet (starting, or its database is unavailable): retrying."],
]);

async function problem(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    return body.message || body.detail || text;
  } catch {
    return text || response.statusText;
  }
}

export function query(params = {}, timed = true) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") q.set(name, String(value));
  }
  if (timed && state.asOf) {
    q.set("as_of", state.asOf);
    q.set("as_of_mode", state.mode);
  }
  return q.toString();
}

// GET a path; the answer's JSON, or null on 304 (with `etag`). Throws ApiError.
export async function get(path, params = {}, { timed = true, etag = null } = {}) {
  const q = query(params, timed);
  const url = q ? `${path}?${q}` : path;
  const headers = { Authorization: "Bearer " + state.key };
  if (etag) headers["If-None-Match"] = etag;
  let response;
  try {
    response = await fetch(url, { headers, cache: "no-store" });
  } catch {
    throw new ApiError(0, "tracking did not answer (network error)", "Tracking is not reachable: retrying.", path);
  }
  if (response.status === 304) return { notModified: true, etag };
  if (!response.ok) {
    const message = await problem(response);
    const advice = ADVICE.get(response.status) ?? (response.status >= 500 ? ADVICE.get(503) : "");
    throw new ApiError(response.status, message, advice, path);
  }
  const body = await response.json();
  return { body, etag: response.headers.get("ETag") };
}

export async function json(path, params = {}, options = {}) {
  return (await get(path, params, options)).body;
}

// Every page of a paged list (`items`, `next_after`), up to `cap` items; `more` tells whether it stopped short.
export async function pages(path, params = {}, cap = 1000) {
  const items = [];
  let after = "";
  for (;;) {
    const page = await json(path, { ...params, after, limit: 100 });
    items.push(...page.items);
    after = page.next_after;
    if (!after) return { items, more: false };
    if (items.length >= cap) return { items, more: true, after };
  }
}
