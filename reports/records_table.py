"""Every conformance record as one table a person can sort and filter in the page itself.

The records travel as JSON inside the page (``<script type="application/json">``) and a few
lines of plain JavaScript draw the rows that match the filters (case, framework, mode, dtype,
check, status, and free text over the messages), sorted by any column. No network, no
library: the page stays one self-contained file. A failing or documented record shows its
message and the ``gradparity explain`` command for its case; a number that looks alarming
carries the sentence that explains it (``reports.error_notes``).
"""

from __future__ import annotations

import json
import math

import pandas as pd

from reports.error_notes import error_notes

__all__ = ["records_html", "records_payload"]

# Sorted first by default: what needs attention.
_STATUS_RANK = {"fail": 0, "error": 0, "nonfinite": 0, "divergence-documented": 1,
                "unsupported": 2, "pass": 3}
_COLUMNS = ("case", "adapter", "mode", "dtype", "check", "status", "max_abs_err",
            "max_rel_err", "tol", "worst_index", "convention", "note", "message")


def _clean(value):
    """A cell as JSON: NaN as null, infinities as strings, numbers to the 3 digits shown."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return float(f"{value:.3g}")
    return value


def records_payload(conformance: pd.DataFrame) -> dict:
    """The records as ``{"columns": [...], "rows": [[...], ...]}``, failing ones first. A
    passing record's message (what was compared, its numbers) is left out: the row has those
    numbers, and the page stays small."""
    frame = conformance.assign(note=error_notes(conformance))
    frame = frame.assign(message=frame["message"].where(frame["status"] != "pass", ""),
                         convention=frame["convention"].astype(object).fillna(""),
                         worst_index=frame["worst_index"].astype(object).fillna(""))
    frame = frame.assign(_rank=frame["status"].map(_STATUS_RANK).fillna(0))
    frame = frame.sort_values(["_rank", "case", "adapter", "check"], kind="stable")
    rows = [[_clean(v) for v in row] for row in frame[list(_COLUMNS)].itertuples(index=False)]
    return {"columns": list(_COLUMNS), "rows": rows}


_STYLE = """
#records-controls{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0}
#records-controls label{font-size:12px}
#records-box{max-height:75vh;overflow:auto;border:1px solid #ccc}
#records td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
#records th{cursor:pointer;background:#f3f3f3;position:sticky;top:0}
#records tr.fail td,#records tr.error td,#records tr.nonfinite td{background:#fde0dd}
#records tr.divergence-documented td{background:#eef3fb}
#records tr.unsupported td{color:#777}
#records{font-size:11px}
#records .note{cursor:help;color:#b35806;font-weight:bold;font-size:10px}
#records code{font-size:10px;background:#f6f6f6;white-space:normal;word-break:break-all}
#records .msg{min-width:360px;max-width:520px;word-break:break-word}
"""

_SCRIPT = r"""
(function () {
  var data = JSON.parse(document.getElementById("records-data").textContent);
  (data.interned || []).forEach(function (j) {
    data.rows.forEach(function (r) { if (r[j] !== null) { r[j] = data.strings[r[j]]; } });
  });
  var col = {}; data.columns.forEach(function (c, i) { col[c] = i; });
  var rank = {"fail": 0, "error": 0, "nonfinite": 0, "divergence-documented": 1,
              "unsupported": 2, "pass": 3};
  var shown = [["case", "case"], ["framework", null], ["dtype", "dtype"], ["check", "check"],
               ["status", "status"], ["abs error", "max_abs_err"], ["rel error", "max_rel_err"],
               ["tolerance", "tol"], ["worst entry", "worst_index"], ["convention", "convention"],
               ["message and explain", "message"]];
  var state = {sort: null, desc: false, limit: 200};
  var controls = document.getElementById("records-controls");
  var body = document.querySelector("#records tbody");
  var count = document.getElementById("records-count");
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; });
  }
  function num(v) {
    if (v === null || v === "") return "";
    if (typeof v === "string") return v;
    return Math.abs(v) > 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4)
      ? v.toExponential(2) : String(Number(v.toPrecision(3)));
  }
  function choices(name) {
    var seen = {}; data.rows.forEach(function (r) { seen[r[col[name]]] = 1; });
    return Object.keys(seen).sort();
  }
  var inputs = {};
  function addSelect(name, label) {
    var l = document.createElement("label"); l.textContent = label + " ";
    var s = document.createElement("select"); s.id = "filter-" + name;
    s.innerHTML = '<option value="">(all)</option>' + choices(name).map(function (v) {
      return '<option>' + esc(v) + '</option>'; }).join("");
    s.onchange = function () { state.limit = 200; draw(); };
    l.appendChild(s); controls.appendChild(l); inputs[name] = s;
  }
  function addText(name, label, hint) {
    var l = document.createElement("label"); l.textContent = label + " ";
    var t = document.createElement("input"); t.id = "filter-" + name; t.placeholder = hint;
    t.oninput = function () { state.limit = 200; draw(); };
    l.appendChild(t); controls.appendChild(l); inputs[name] = t;
  }
  addText("case", "case", "part of a name");
  ["adapter", "mode", "dtype", "check", "status"].forEach(function (n) { addSelect(n, n); });
  addText("text", "text", "in messages, entries");
  var head = document.querySelector("#records thead tr");
  shown.forEach(function (s) {
    var th = document.createElement("th"); th.textContent = s[0];
    th.onclick = function () {
      var key = s[1] || "adapter";
      state.desc = state.sort === key ? !state.desc : false; state.sort = key; draw();
    };
    head.appendChild(th);
  });
  function matches(r) {
    var c = inputs["case"].value.toLowerCase();
    if (c && String(r[col.case]).toLowerCase().indexOf(c) < 0) return false;
    for (var n of ["adapter", "mode", "dtype", "check", "status"]) {
      if (inputs[n].value && String(r[col[n]]) !== inputs[n].value) return false;
    }
    var t = inputs["text"].value.toLowerCase();
    if (t) {
      var hay = [r[col.message], r[col.note], r[col.worst_index], r[col.convention]]
        .join(" ").toLowerCase();
      if (hay.indexOf(t) < 0) return false;
    }
    return true;
  }
  function key(r, k) {
    var v = r[col[k]];
    if (v === "inf") return Infinity;
    if (v === "-inf") return -Infinity;
    return v;
  }
  function compare(a, b) {
    if (state.sort === null) return (rank[a[col.status]] - rank[b[col.status]]);
    var x = key(a, state.sort), y = key(b, state.sort);
    if (x === null || x === "") return 1;
    if (y === null || y === "") return -1;
    var d = (typeof x === "number" && typeof y === "number") ? x - y
      : String(x).localeCompare(String(y));
    return state.desc ? -d : d;
  }
  function row(r) {
    var status = r[col.status], note = r[col.note], msg = r[col.message] || "";
    var rel = num(r[col.max_rel_err]);
    if (note) rel +=  ' <span class="note" title="' + esc(note) + '">why?</span>';
    var detail = "";
    if (msg) {
      // A long message folds after its first words: the rows stay short to scan.
      detail = msg.length <= 240 ? esc(msg) : "<details><summary>" + esc(msg.slice(0, 200)) +
        "&hellip;</summary>" + esc(msg.slice(200)) + "</details>";
      detail += '<br><code>gradparity explain ' + esc(r[col.case]) +
        ' --frameworks ' + esc(r[col.adapter]) + '</code>';
    }
    if (note) detail += (detail ? "<br>" : "") + "<em>" + esc(note) + "</em>";
    return '<tr class="' + esc(status) + '"><td>' + esc(r[col.case]) + "</td><td>" +
      esc(r[col.adapter] + "/" + r[col.mode]) + "</td><td>" + esc(r[col.dtype]) +
      "</td><td>" + esc(r[col.check]) + "</td><td>" + esc(status) + '</td><td class="num">' +
      num(r[col.max_abs_err]) + '</td><td class="num">' + rel + '</td><td class="num">' +
      num(r[col.tol]) + "</td><td>" + esc(r[col.worst_index]) + "</td><td>" +
      esc(r[col.convention]) + '</td><td class="msg">' + detail + "</td></tr>";
  }
  function draw() {
    var hits = data.rows.filter(matches);
    hits.sort(compare);
    body.innerHTML = hits.slice(0, state.limit).map(row).join("");
    count.textContent = hits.length + " of " + data.rows.length + " records match" +
      (hits.length > state.limit ? "; showing the first " + state.limit : "");
    more.style.display = hits.length > state.limit ? "" : "none";
    document.getElementById("records").dataset.rows = String(Math.min(hits.length, state.limit));
  }
  var more = document.getElementById("records-more");
  more.onclick = function () { state.limit += 500; draw(); };
  // A link such as #records?case=abs-at-zero&adapter=jax (the atlas's cells) sets filters;
  // sort=COLUMN and desc=1 sort.
  function fromHash() {
    var hash = decodeURIComponent(location.hash || "");
    var at = hash.indexOf("?");
    if (hash.indexOf("#records") !== 0 || at < 0) return;
    Object.keys(inputs).forEach(function (n) { inputs[n].value = ""; });
    hash.slice(at + 1).split("&").forEach(function (pair) {
      var kv = pair.split("="), k = kv[0], v = kv.slice(1).join("=");
      if (inputs[k]) inputs[k].value = v;
      if (k === "sort" && col[v] !== undefined) state.sort = v;
      if (k === "desc") state.desc = v === "1";
    });
    state.limit = 200;
  }
  function show() {  // the fragment names no element: bring the table into view by hand
    if ((location.hash || "").indexOf("#records?") === 0) controls.scrollIntoView();
  }
  window.addEventListener("hashchange", function () { fromHash(); draw(); show(); });
  fromHash();  // a page opened with a filter link starts at its top: the atlas comes first
  draw();
})();
"""


# Columns whose cells are text, each sent once: a run repeats its case, adapter, check and
# status names, and its messages, thousands of times (the sample's page halves).
_INTERNED = ("case", "adapter", "mode", "dtype", "check", "status", "convention", "note",
             "message")


def _interned(payload: dict) -> dict:
    """``payload`` with the text columns' cells as indices into one list of strings (the
    page's script puts the strings back before it draws anything)."""
    strings: dict[str, int] = {}
    columns = [payload["columns"].index(c) for c in _INTERNED]
    rows = []
    for row in payload["rows"]:
        row = list(row)
        for j in columns:
            if row[j] is not None:
                row[j] = strings.setdefault(str(row[j]), len(strings))
        rows.append(row)
    return {"columns": payload["columns"], "interned": columns, "strings": list(strings),
            "rows": rows}


def records_html(conformance: pd.DataFrame) -> str:
    """The table's section: its controls, an empty table the script fills, the records as
    JSON, the script."""
    payload = json.dumps(_interned(records_payload(conformance)), separators=(",", ":"),
                         allow_nan=False)
    payload = payload.replace("<", "\\u003c")  # a message cannot end or open a script
    return "\n".join([
        f"<style>{_STYLE}</style>",
        "<p>Every record of the run: filter by case, framework, mode, dtype, check and "
        "status, or search the messages; click a column's header to sort by it. Failing "
        "records come first, then documented divergences. A <b>why?</b> beside a number "
        "says why it is not what it looks like (hover over it, or read it in the last "
        "column). A link to <code>#records?status=fail&amp;adapter=jax</code> opens the table "
        "so filtered; a cell of the atlas links to its records.</p>",
        '<div id="records-controls"></div><p id="records-count"></p>',
        '<div id="records-box"><table id="records"><thead><tr></tr></thead><tbody></tbody>'
        '</table></div>',
        '<button id="records-more" type="button">show more</button>',
        f'<script type="application/json" id="records-data">{payload}</script>',
        f"<script>{_SCRIPT}</script>",
    ])
