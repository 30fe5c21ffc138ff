/* Shared by every eng5-runner page: sortable tables and small DOM helpers.
   Data from a run is only ever inserted as text (textContent), never as HTML. */
"use strict";
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}
function sortKey(cell) {
  const raw = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
  const num = Number(raw);
  return raw !== "" && !Number.isNaN(num) ? { n: num } : { s: raw.toLowerCase() };
}
function compareKeys(a, b) {
  if (a.n !== undefined && b.n !== undefined) return a.n - b.n;
  if (a.n !== undefined) return -1;
  if (b.n !== undefined) return 1;
  return a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
}
function makeSortable(table) {
  const heads = table.tHead ? Array.from(table.tHead.rows[0].cells) : [];
  heads.forEach((th, col) => {
    if (th.dataset.nosort !== undefined) return;
    th.tabIndex = 0;
    const run = () => {
      const asc = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      for (const body of table.tBodies) {
        const rows = Array.from(body.rows);
        rows.sort((r1, r2) => {
          const d = compareKeys(sortKey(r1.cells[col]), sortKey(r2.cells[col]));
          return asc ? d : -d;
        });
        rows.forEach((r) => body.appendChild(r));
      }
    };
    th.addEventListener("click", run);
    th.addEventListener("keydown", (e) => { if (e.key === "Enter") run(); });
  });
}
function pageData() {
  const node = document.getElementById("page-data");
  return node ? JSON.parse(node.textContent) : {};
}
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable").forEach(makeSortable);
});
