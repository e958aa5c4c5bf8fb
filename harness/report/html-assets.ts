/**
 * The report's inline CSS and script. Kept as constant strings (no data in them): the page's data
 * is the pre-escaped markup html.ts renders, and the script only shows, hides and clones it.
 */

export const REPORT_CSS = `
:root { --pass: #1a7f37; --pass-bg: #dafbe1; --fail: #cf222e; --fail-bg: #ffebe9; --skip: #6e7781; --skip-bg: #eaeef2; --line: #d0d7de; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #fff; }
header { position: sticky; top: 0; z-index: 2; background: #f6f8fa; border-bottom: 1px solid var(--line); padding: 10px 16px; }
header h1 { font-size: 18px; margin: 0 0 4px; }
header p { margin: 2px 0; }
header label { font-weight: 600; }
#filter { width: 28em; max-width: 60vw; padding: 4px 8px; margin-left: 6px; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
#filter-count { margin-left: 10px; color: var(--skip); }
.layout { display: flex; align-items: flex-start; }
main { flex: 1 1 auto; padding: 8px 16px 40px; min-width: 0; }
aside#detail { flex: 0 0 36%; position: sticky; top: 110px; max-height: calc(100vh - 120px); overflow: auto; border-left: 1px solid var(--line); padding: 8px 16px; }
section.version { margin: 16px 0 28px; scroll-margin-top: 130px; }
section.version h2 { font-size: 17px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
.depth { font-weight: 400; color: var(--skip); }
.env, .tally, .property { color: #57606a; margin: 2px 0; font-size: 13px; }
.scenario { margin: 14px 0 18px; }
.scenario h3 { font-size: 15px; margin: 0; }
table.grid { border-collapse: collapse; margin-top: 6px; }
table.grid th, table.grid td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
table.grid thead th { background: #f6f8fa; font-weight: 600; font-family: ui-monospace, monospace; font-size: 12px; }
table.grid tbody th { font-family: ui-monospace, monospace; font-size: 12px; font-weight: 600; }
td.cell.pass { background: var(--pass-bg); }
td.cell.fail { background: var(--fail-bg); }
td.cell.skip { background: var(--skip-bg); }
td.cell.empty { background: repeating-linear-gradient(45deg, #fff, #fff 4px, #f6f8fa 4px, #f6f8fa 8px); }
.pod-cell { display: inline-block; margin: 1px; padding: 2px 8px; border-radius: 4px; border: 0; color: #fff; font: 12px ui-monospace, monospace; cursor: pointer; }
.pod-cell.pass { background: var(--pass); }
.pod-cell.fail { background: var(--fail); }
.pod-cell.skip { background: var(--skip); }
.pod-cell.selected { outline: 3px solid #0969da; outline-offset: 1px; }
span.pod-cell { cursor: default; }
.pod-cell .fate { display: inline-block; margin-left: 6px; padding: 0 5px; border-radius: 3px; background: #fff; color: #1f2328; font-weight: 600; }
.pod-cell .fate.denied { border: 1px dashed #1f2328; }
.pod-cell .fate.not-run { font-weight: 400; color: #57606a; }
.pod-cell .expectation { margin-left: 6px; font-style: italic; }
.faults { border-left: 4px solid var(--fail); padding: 4px 10px; margin: 8px 0; }
.steps li.failed { color: var(--fail); font-weight: 600; }
pre.rerun { user-select: all; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; color: #fff; vertical-align: middle; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); } .badge.skip { background: var(--skip); }
#detail dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 8px 0; }
#detail dt { font-weight: 600; color: #57606a; }
#detail dd { margin: 0; overflow-wrap: anywhere; }
#detail h4 { margin: 12px 0 4px; font-size: 13px; }
#detail pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 12px; margin: 0; }
.none, .hint { color: var(--skip); font-style: italic; }
[hidden] { display: none !important; }
@media (max-width: 900px) { .layout { display: block; } aside#detail { position: static; border-left: 0; border-top: 1px solid var(--line); max-height: none; } }
`;

export const REPORT_SCRIPT = `
(function () {
  'use strict';
  var filter = document.getElementById('filter');
  var count = document.getElementById('filter-count');
  var detail = document.getElementById('detail');
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.pull-row'));

  function applyFilter() {
    var terms = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute('data-search') || '';
      var visible = terms.every(function (t) { return text.indexOf(t) !== -1; });
      row.hidden = !visible;
      if (visible) shown++;
    });
    document.querySelectorAll('div.scenario').forEach(function (block) {
      block.hidden = block.querySelector('tr.pull-row:not([hidden])') === null;
    });
    document.querySelectorAll('section.version').forEach(function (section) {
      section.hidden = section.querySelector('div.scenario:not([hidden])') === null;
    });
    count.textContent = shown + ' of ' + rows.length + ' rows';
  }

  function show(button) {
    var template = document.getElementById(button.getAttribute('data-detail'));
    if (!template) return;
    document.querySelectorAll('.pod-cell.selected').forEach(function (b) { b.classList.remove('selected'); });
    button.classList.add('selected');
    detail.replaceChildren(template.content.cloneNode(true));
    detail.setAttribute('data-pod', button.getAttribute('data-pod'));
    detail.setAttribute('data-outcome', button.getAttribute('data-outcome'));
  }

  filter.addEventListener('input', applyFilter);
  document.addEventListener('click', function (event) {
    var target = event.target;
    var button = target && target.closest ? target.closest('button.pod-cell') : null;
    if (button) show(button);
  });
  applyFilter();
})();
`;
