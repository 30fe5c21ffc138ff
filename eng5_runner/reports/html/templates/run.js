/* report.html: pair drill-down, BT-scale selection, grade highlighting. */
"use strict";
const DATA = pageData();
function essayName(id) {
  const e = DATA.essays[id];
  return e ? `${e.l}${e.g ? " (" + e.g + ")" : ""}` : id;
}
function gradeRank(id) {
  const e = DATA.essays[id];
  return e && typeof e.r === "number" ? e.r : null;
}
function openPair(key) {
  const dialog = document.getElementById("drill");
  const judgements = DATA.pairs[key] || [];
  const [first, second] = key.split("|");
  let high = first, low = second;
  const r1 = gradeRank(first), r2 = gradeRank(second);
  if (r1 !== null && r2 !== null && r2 < r1) { high = second; low = first; }
  const ok = judgements.filter((j) => j.w);
  const hw = ok.filter((j) => j.w === high).length;
  const lw = ok.length - hw;
  const title = dialog.querySelector("h2");
  title.textContent = `${essayName(high)} vs ${essayName(low)}`;
  const info = dialog.querySelector(".dlg-info");
  const graded = r1 !== null && r2 !== null && r1 !== r2;
  info.textContent = `${judgements.length} judgement(s), ${judgements.length - ok.length} failed · `
    + `${essayName(high)} won ${hw}, ${essayName(low)} won ${lw}`
    + (graded ? (lw > 0 ? " · inversion: the lower grade won" + (lw > hw ? " the majority" : " at least once") : " · ordered as the experts") : "");
  const essays = dialog.querySelector(".essays");
  essays.replaceChildren(...[high, low].map((id, i) => {
    const e = DATA.essays[id] || {};
    return el("div", { class: "essay" },
      el("h3", {}, (graded ? (i === 0 ? "Higher grade: " : "Lower grade: ") : "") + essayName(id)),
      el("div", { class: "muted small" }, [e.f, e.w ? e.w + " words" : null].filter(Boolean).join(" · ")),
      el("pre", {}, e.t || "(essay text not available in this report)"));
  }));
  const body = dialog.querySelector("tbody");
  body.replaceChildren(...judgements.map((j) => {
    const right = j.w ? (j.w === high || !graded) : null;
    return el("tr", { "data-comparison": j.id },
      el("td", {}, j.id), el("td", { class: "num" }, j.it),
      el("td", {}, essayName(j.a)), el("td", {}, essayName(j.b)),
      el("td", { class: j.w ? (right ? "ok" : "bad") : "bad" },
        j.w ? `${j.w === j.a ? "A" : "B"}: ${essayName(j.w)}` : "failed"),
      el("td", { class: "num" }, j.c === null || j.c === undefined ? "—" : j.c),
      el("td", { class: "just" }, j.w ? (j.j || "—") : (j.r || "—")));
  }));
  dialog.dataset.pair = key;
  dialog.showModal();
}
function selectEssay(id) {
  const rows = document.querySelectorAll(".bt-row");
  const already = document.querySelector(`.bt-row.selected[data-essay="${CSS.escape(id)}"]`);
  rows.forEach((r) => r.classList.remove("selected"));
  document.querySelectorAll("tr.selected").forEach((r) => r.classList.remove("selected"));
  document.querySelectorAll(".inv-link").forEach((l) => l.classList.remove("hl"));
  if (already) return;
  document.querySelectorAll(`[data-essay="${CSS.escape(id)}"]`).forEach((n) => n.classList.add("selected"));
  document.querySelectorAll(".inv-link").forEach((l) => {
    if (l.dataset.pair.split("|").includes(id)) l.classList.add("hl");
  });
}
function highlightGrade(button) {
  const grade = button.dataset.grade;
  const on = !button.classList.contains("on");
  document.querySelectorAll(".legend button").forEach((b) => b.classList.remove("on"));
  document.querySelectorAll(".bt-row").forEach((r) => {
    r.classList.toggle("dim", on && r.dataset.grade !== grade);
  });
  if (on) button.classList.add("on");
}
document.addEventListener("DOMContentLoaded", () => {
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const opener = target.closest("[data-open-pair]");
    if (opener && opener.dataset.openPair) { openPair(opener.dataset.openPair); return; }
    const row = target.closest(".bt-row");
    if (row) { selectEssay(row.dataset.essay); return; }
    const legend = target.closest(".legend button");
    if (legend) highlightGrade(legend);
  });
  const dialog = document.getElementById("drill");
  if (dialog) {
    dialog.querySelector("button.close").addEventListener("click", () => dialog.close());
    dialog.addEventListener("click", (e) => { if (e.target === dialog) dialog.close(); });
  }
});
