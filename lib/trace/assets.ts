/**
 * The page's style sheet and its one script, inlined so the file works
 * opened from disk with no network.
 *
 * @module
 */

/** The style sheet. */
export const STYLE = `
:root { --fg:#1d2330; --muted:#5b6475; --line:#d8dde6; --in:#1f6feb; --out:#b35900; --bad:#c62828; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, sans-serif; color:var(--fg); background:#f6f7f9; }
main { max-width:1180px; margin:0 auto; padding:0 20px 80px; }
h1 { font-size:22px; margin:18px 0 4px; } h2 { font-size:18px; margin:28px 0 10px; border-bottom:2px solid var(--line); }
h3 { font-size:15px; margin:14px 0 6px; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size:12.5px; }
.banner { background:#fff4e5; border:1px solid #f0b46a; border-left:6px solid #e08a00; padding:10px 14px; margin:12px 0; }
.summary { display:grid; grid-template-columns: max-content 1fr; gap:2px 14px; background:#fff; padding:10px 14px; border:1px solid var(--line); }
.summary dt { color:var(--muted); } .summary dd { margin:0; overflow-wrap:anywhere; }
.ok { color:#1b7f3b; font-weight:600; } .failed { color:var(--bad); font-weight:600; }
.diagram { display:grid; grid-template-columns: repeat(7, auto); align-items:center; justify-content:start; gap:8px 0;
  background:#fff; border:1px solid var(--line); padding:14px; }
.box { border:2px solid #6b7a90; border-radius:6px; padding:8px 12px; background:#eef2f7; text-align:center; font-weight:600; }
.box.tls { grid-row: span 2; background:#e7f0ff; border-color:#3d6fb6; align-self:stretch; display:flex; align-items:center; }
.arrow { text-align:center; padding:0 6px; min-width:150px; }
.arrow .n { font-weight:700; } .arrow .line { color:var(--muted); letter-spacing:-2px; } .arrow .call { color:var(--muted); font-size:12px; }
table { border-collapse:collapse; width:100%; background:#fff; }
th, td { border-bottom:1px solid var(--line); padding:3px 8px; text-align:left; vertical-align:top; }
table.timeline td:nth-child(2) { white-space:nowrap; }
tr.flight th { background:#eef2f7; font-weight:600; }
td.in, .dir-in { color:var(--in); } td.out, .dir-out { color:var(--out); }
tr.fail td, .error { color:var(--bad); font-weight:600; }
.error { background:#fdecea; border:1px solid #f5c2c0; border-left:6px solid var(--bad); padding:10px 14px; margin:10px 0; }
article.record { background:#fff; border:1px solid var(--line); margin:10px 0; padding:8px 12px; }
article.record h3 { margin:2px 0 8px; }
.bytes { display:grid; grid-template-columns: max-content 1fr; gap:4px 18px; align-items:start; }
pre.hex { margin:0; padding:6px; background:#fbfbfc; border:1px solid var(--line); line-height:1.6; }
.more { grid-column:1; color:var(--muted); font-size:12px; }
.hex .off { color:#9aa3b2; }
.b { cursor:pointer; border-radius:2px; }
.c0 { background:#e3f2fd; } .c1 { background:#fff3e0; } .c2 { background:#e8f5e9; }
.c3 { background:#f3e5f5; } .c4 { background:#fffde7; } .c5 { background:#e0f7fa; }
.b.hi, li.hi > .fn { background:#ffd54f !important; outline:1px solid #e0a800; }
.b.pin, li.pin > .fn { background:#ff8a65 !important; outline:1px solid #d84315; }
ul.fields, ul.sub { list-style:none; margin:0; padding-left:14px; } ul.fields { padding:0; font-size:12.5px; max-height:520px; overflow:auto; }
ul.fields li { cursor:pointer; white-space:nowrap; }
.fn { font-weight:600; } .fr { color:#9aa3b2; font-size:11px; } .fv { color:#37474f; white-space:pre-wrap; }
.plain { margin-top:10px; border-top:1px dashed var(--line); padding-top:6px; }
.tag { display:inline-block; padding:0 6px; border-radius:8px; background:#eef2f7; font-size:12px; margin-left:6px; }
.schedule { display:flex; flex-direction:column; gap:0; }
.step { background:#fff; border:1px solid var(--line); border-left:5px solid #3d6fb6; padding:6px 10px; margin:0 0 0 var(--indent, 0); }
.step + .step { margin-top:-1px; }
.step .name { font-weight:700; } .step .how { color:var(--muted); } .step .val { overflow-wrap:anywhere; }
.step.input { border-left-color:#8e24aa; } .step.traffic { border-left-color:#2e7d32; }
.keys td { overflow-wrap:anywhere; }
pre.data { white-space:pre-wrap; overflow-wrap:anywhere; background:#fff; border:1px solid var(--line); padding:8px; max-height:260px; overflow:auto; }
#field-info { display:none; position:fixed; left:0; right:0; bottom:0; background:#263238; color:#fff; padding:6px 14px;
  font:12.5px ui-monospace, monospace; min-height:28px; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
#field-info.on { display:block; }
.note { color:var(--muted); }
`;

/**
 * Hover names a byte's field (and lights every byte of it and its row in
 * the tree); a click pins it. Plain DOM, no globals left behind.
 */
export const SCRIPT = `
(() => {
  const info = document.getElementById("field-info");
  const mark = (id, cls, on) => {
    if (!id) return;
    for (const el of document.querySelectorAll('[data-f="' + id + '"]')) el.classList.toggle(cls, on);
  };
  let hover = null, pinned = null;
  const describe = (el) => {
    const li = document.querySelector('li[data-f="' + el.dataset.f + '"]');
    const title = el.title || (li ? li.textContent : "");
    return title;
  };
  document.addEventListener("mouseover", (e) => {
    const el = e.target.closest("[data-f]");
    const id = el ? el.dataset.f : null;
    if (id === hover) return;
    mark(hover, "hi", false);
    hover = id;
    mark(hover, "hi", true);
    if (el) {
      info.textContent = describe(el);
      info.classList.add("on");
    }
  });
  document.addEventListener("click", (e) => {
    const el = e.target.closest("[data-f]");
    mark(pinned, "pin", false);
    pinned = el && el.dataset.f !== pinned ? el.dataset.f : null;
    mark(pinned, "pin", true);
    if (el && pinned) {
      info.textContent = "pinned: " + describe(el);
      const other = el.tagName === "LI"
        ? document.querySelector('.b[data-f="' + pinned + '"]')
        : document.querySelector('li[data-f="' + pinned + '"]');
      if (other) other.scrollIntoView({ block: "nearest" });
    }
  });
  document.body.dataset.ready = "yes";
})();
`;
