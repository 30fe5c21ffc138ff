/* sweep_summary.html: filters and the compare-two-variants view. */
"use strict";
const SWEEP = pageData();
function applyFilters() {
  const text = document.getElementById("filter-text").value.trim().toLowerCase();
  const status = document.getElementById("filter-status").value;
  const targets = document.getElementById("filter-targets").checked;
  let shown = 0;
  const rows = document.querySelectorAll("#leaderboard-table tbody tr");
  rows.forEach((row) => {
    const ok = (!text || row.dataset.text.includes(text))
      && (!status || row.dataset.status === status)
      && (!targets || row.dataset.targets === "met");
    row.hidden = !ok;
    if (ok) shown += 1;
  });
  document.getElementById("shown-count").textContent = `${shown} of ${rows.length} shown`;
}
function fmt(v) { return v === undefined || v === null ? "—" : (Number.isInteger(v) ? String(v) : v.toFixed(3)); }
function verdictOf(counts) {
  if (!counts) return null;
  const [hw, lw] = counts;
  return hw > lw ? "right" : lw > hw ? "wrong" : "tied";
}
function label(id) { return SWEEP.labels[id] || id; }
function judgementList(items) {
  return el("ul", { class: "small" }, ...(items || []).map(([w, c, j]) =>
    el("li", {}, el("strong", {}, label(w)), ` won (confidence ${c === null ? "—" : c}): `, j || "—")));
}
function renderCompare() {
  const a = SWEEP.jobs[Number(document.getElementById("compare-a").value)];
  const b = SWEEP.jobs[Number(document.getElementById("compare-b").value)];
  const names = Array.from(new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])).sort();
  document.querySelector("#compare-metrics tbody").replaceChildren(...names.map((n) => {
    const va = a.metrics[n], vb = b.metrics[n];
    const d = typeof va === "number" && typeof vb === "number" ? vb - va : null;
    return el("tr", { "data-metric": n }, el("td", {}, n), el("td", { class: "num" }, fmt(va)),
      el("td", { class: "num" }, fmt(vb)), el("td", { class: "num" }, d === null ? "—" : (d >= 0 ? "+" : "") + d.toFixed(3)));
  }));
  const prompts = document.getElementById("compare-prompts");
  prompts.replaceChildren();
  for (const kind of ["system_prompt", "rubric"]) {
    const pa = a.prompts[kind] || {}, pb = b.prompts[kind] || {};
    const title = `${kind === "rubric" ? "Rubric" : "System prompt"}: ${pa.name || "—"} → ${pb.name || "—"}`;
    if (pa.sha === pb.sha) { prompts.append(el("p", { class: "muted" }, `${title}: same text`)); continue; }
    const lines = SWEEP.diffs[`${kind}:${pa.sha}:${pb.sha}`] || [];
    prompts.append(el("div", {}, el("strong", {}, title),
      el("pre", { class: "diff", "data-diff": kind }, ...lines.map(([k, t]) => el("span", { class: k }, t)))));
  }
  const keys = Array.from(new Set([...Object.keys(a.pairs), ...Object.keys(b.pairs)]));
  const flips = keys.map((k) => [k, verdictOf(a.pairs[k]), verdictOf(b.pairs[k])])
    .filter(([, va, vb]) => va && vb && va !== vb)
    .sort((x, y) => (x[2] === "wrong" ? 0 : 1) - (y[2] === "wrong" ? 0 : 1));
  document.getElementById("flip-count").textContent = `(${flips.length})`;
  const out = document.getElementById("compare-flips");
  out.replaceChildren(...flips.map(([k, va, vb]) => {
    const [x, y] = SWEEP.orient[k] || k.split("|");
    const just = SWEEP.just[k] || {};
    return el("div", { class: "flip-item", "data-pair": k },
      el("div", {}, el("strong", {}, `${label(x)} above ${label(y)}?`), " ",
        el("span", { class: va === "right" ? "ok" : "bad" }, va), " in A → ",
        el("span", { class: vb === "right" ? "ok" : "bad" }, vb), " in B",
        el("span", { class: "muted small" }, `  (A ${a.pairs[k].join("–")}, B ${b.pairs[k].join("–")}; higher grade first)`)),
      el("div", { class: "cols2" },
        el("div", {}, el("div", { class: "small muted" }, `A: ${a.variant}`), judgementList(just[a.job])),
        el("div", {}, el("div", { class: "small muted" }, `B: ${b.variant}`), judgementList(just[b.job]))));
  }));
  if (!flips.length) out.append(el("p", { class: "muted" }, "No pair changed verdict between these two variants."));
}
document.addEventListener("DOMContentLoaded", () => {
  ["filter-text", "filter-status", "filter-targets"].forEach((id) => {
    const node = document.getElementById(id);
    node.addEventListener("input", applyFilters);
    node.addEventListener("change", applyFilters);
  });
  applyFilters();
  const selA = document.getElementById("compare-a"), selB = document.getElementById("compare-b");
  if (!selA) return;
  SWEEP.jobs.forEach((job, i) => {
    selA.append(el("option", { value: i }, `${job.job}: ${job.variant}`));
    selB.append(el("option", { value: i }, `${job.job}: ${job.variant}`));
  });
  selA.value = String(SWEEP.default_a);
  selB.value = String(SWEEP.default_b);
  selA.addEventListener("change", renderCompare);
  selB.addEventListener("change", renderCompare);
  renderCompare();
});
