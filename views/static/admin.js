// Progressive enhancement for the admin panels. Every page reads and works
// without it; this adds the theme toggle, live durations, sortable and
// filterable tables, confirm dialogs and the run page's live progress.
'use strict';

(function () {
  var THEME_KEY = 'ai-implement-theme';

  function applyStoredTheme() {
    var stored = null;
    try { stored = localStorage.getItem(THEME_KEY); } catch (e) { stored = null; }
    if (stored === 'light' || stored === 'dark') document.documentElement.setAttribute('data-theme', stored);
  }
  // Before first paint where possible (the script is deferred, so this is early but not blocking).
  applyStoredTheme();

  function currentTheme() {
    var explicit = document.documentElement.getAttribute('data-theme');
    if (explicit) return explicit;
    return window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }

  function setupThemeToggle() {
    var button = document.querySelector('[data-theme-toggle]');
    if (!button) return;
    button.hidden = false;
    var label = function () {
      var next = currentTheme() === 'dark' ? 'light' : 'dark';
      // A symbol keeps the top bar narrow on phones; the accessible name says what it does.
      button.textContent = next === 'dark' ? '☾ Dark' : '☀ Light';
      button.setAttribute('aria-label', 'Switch to the ' + next + ' theme');
    };
    label();
    button.addEventListener('click', function () {
      var next = currentTheme() === 'dark' ? 'light' : 'dark';
      document.documentElement.setAttribute('data-theme', next);
      try { localStorage.setItem(THEME_KEY, next); } catch (e) { /* private mode: the choice lasts for this page */ }
      label();
    });
  }

  function formatDuration(ms) {
    if (!isFinite(ms) || ms < 0) return '—';
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + String(s % 60).padStart(2, '0') + 's';
    var h = Math.floor(m / 60);
    if (h < 48) return h + 'h ' + String(m % 60).padStart(2, '0') + 'm';
    return Math.floor(h / 24) + 'd ' + (h % 24) + 'h';
  }

  function tickDurations() {
    var nodes = document.querySelectorAll('[data-since]');
    for (var i = 0; i < nodes.length; i++) {
      var since = Date.parse(nodes[i].getAttribute('data-since'));
      if (!isNaN(since)) nodes[i].textContent = formatDuration(Date.now() - since);
    }
  }

  // Tables longer than a screen get a filter box and clickable headers.
  var SORTABLE_MIN_ROWS = 15;

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return '';
    var value = cell.getAttribute('data-value');
    return value !== null ? value : cell.textContent.trim();
  }

  function setupTable(table) {
    var body = table.tBodies[0];
    if (!body) return;
    var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return !r.hasAttribute('data-empty'); });
    if (rows.length < SORTABLE_MIN_ROWS && !table.hasAttribute('data-always-tools')) return;
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, index) {
      var kind = th.getAttribute('data-sort');
      if (!kind) return;
      th.tabIndex = 0;
      th.title = 'Sort by ' + th.textContent.trim();
      var sort = function () {
        var ascending = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        var sorted = rows.slice().sort(function (a, b) {
          var x = cellValue(a, index), y = cellValue(b, index);
          var cmp = kind === 'num' ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x.localeCompare(y, undefined, { numeric: true });
          return ascending ? cmp : -cmp;
        });
        sorted.forEach(function (r) { body.appendChild(r); });
      };
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
    });
    var tools = document.createElement('div');
    tools.className = 'table-tools';
    var input = document.createElement('input');
    input.type = 'text';
    input.placeholder = 'Filter ' + rows.length + ' rows…';
    input.setAttribute('aria-label', 'Filter rows');
    var count = document.createElement('span');
    count.className = 'muted small';
    tools.appendChild(input);
    tools.appendChild(count);
    var wrap = table.closest('.table-wrap') || table;
    wrap.parentNode.insertBefore(tools, wrap);
    input.addEventListener('input', function () {
      var needle = input.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (r) {
        var match = !needle || r.textContent.toLowerCase().indexOf(needle) !== -1;
        r.hidden = !match;
        if (match) shown++;
      });
      count.textContent = needle ? shown + ' of ' + rows.length + ' shown' : '';
    });
  }

  // Forms with data-confirm ask first in a dialog; without JS they post directly.
  function setupConfirms() {
    var dialog = document.getElementById('confirm-dialog');
    if (!dialog || typeof dialog.showModal !== 'function') return;
    var message = dialog.querySelector('[data-confirm-message]');
    var ok = dialog.querySelector('[data-confirm-ok]');
    var cancel = dialog.querySelector('[data-confirm-cancel]');
    var pending = null;
    document.addEventListener('submit', function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-confirm') || form.getAttribute('data-confirmed') === 'yes') return;
      event.preventDefault();
      pending = form;
      message.textContent = form.getAttribute('data-confirm');
      dialog.showModal();
    });
    ok.addEventListener('click', function () {
      dialog.close();
      if (pending) { pending.setAttribute('data-confirmed', 'yes'); pending.submit(); }
    });
    cancel.addEventListener('click', function () { pending = null; dialog.close(); });
  }

  // The run page follows its run through server-sent events until it ends.
  function setupRunEvents() {
    var root = document.querySelector('[data-events-url]:not([data-events-url=""])');
    if (!root || typeof EventSource !== 'function') return;
    var bar = root.querySelector('progress');
    var label = root.querySelector('[data-progress-label]');
    var status = document.querySelector('[data-run-status]');
    var duration = document.querySelector('[data-run-duration]');
    var tree = document.querySelector('[data-step-tree]');
    var source = new EventSource(root.getAttribute('data-events-url'));
    source.addEventListener('progress', function (event) {
      var data = JSON.parse(event.data);
      var p = data.progress;
      bar.value = p.percent;
      bar.textContent = p.percent + '%';
      root.setAttribute('data-percent', String(p.percent));
      label.textContent = p.percent + '% · ' + p.label;
      if (status) { status.textContent = p.status; status.className = 'badge tone-' + p.statusTone; }
      if (duration && p.terminal) { duration.removeAttribute('data-since'); duration.textContent = p.durationText; }
      if (tree) {
        // Keep opened log excerpts open across updates.
        var open = Array.prototype.map.call(tree.querySelectorAll('details[open]'), function (d) { return d.getAttribute('data-step'); });
        tree.innerHTML = data.stepsHtml;
        open.forEach(function (id) {
          var d = tree.querySelector('details[data-step="' + CSS.escape(id) + '"]');
          if (d) d.open = true;
        });
      }
    });
    source.addEventListener('done', function () {
      source.close();
      root.setAttribute('data-finished', 'yes');
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    setupThemeToggle();
    tickDurations();
    setInterval(tickDurations, 1000);
    Array.prototype.forEach.call(document.querySelectorAll('table.data'), setupTable);
    setupConfirms();
    setupRunEvents();
  });
})();
