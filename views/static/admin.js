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

  // List pages stay current: a run change anywhere refetches this page and swaps in
  // each element marked data-live-list (matched by id), so no list needs a reload.
  function setupLiveLists() {
    var lists = document.querySelectorAll('[data-live-list][id]');
    if (lists.length === 0 || !window.EventSource || !window.DOMParser) return;
    var busy = false;
    var again = false;
    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      fetch(window.location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var doc = new DOMParser().parseFromString(html, 'text/html');
          Array.prototype.forEach.call(document.querySelectorAll('[data-live-list][id]'), function (el) {
            var fresh = doc.getElementById(el.id);
            if (fresh && fresh.innerHTML !== el.innerHTML) {
              el.innerHTML = fresh.innerHTML;
              Array.prototype.forEach.call(el.querySelectorAll('table.data'), setupTable);
            }
          });
          document.documentElement.setAttribute('data-lists-refreshed', String(Date.now()));
          tickDurations();
        })
        .catch(function () { /* the next change tries again */ })
        .then(function () {
          busy = false;
          if (again) { again = false; refresh(); }
        });
    }
    var source = new EventSource('/admin/events/runs');
    source.addEventListener('runs', refresh);
  }

  // The New run dialog: search tickets by key or title in every tracker, fill the ticket and offer the projects that fit.
  function setupTicketSearch() {
    var input = document.querySelector('[data-ticket-search]');
    var hits = document.querySelector('[data-ticket-hits]');
    var mapping = document.getElementById('new-run-mapping');
    if (!input || !hits) return;
    var timer = null;
    input.addEventListener('input', function () {
      if (timer) clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { hits.textContent = ''; return; }
      timer = setTimeout(function () {
        fetch(input.getAttribute('data-ticket-search') + '?q=' + encodeURIComponent(q), { credentials: 'same-origin', headers: { accept: 'application/json' } })
          .then(function (r) { return r.ok ? r.json() : { tickets: [] }; })
          .then(function (answer) {
            hits.textContent = '';
            (answer.tickets || []).forEach(function (t) {
              var b = document.createElement('button');
              b.type = 'button';
              b.className = 'link small';
              b.setAttribute('data-ticket-hit', t.identifier);
              // textContent only: ticket titles are hostile text.
              b.textContent = t.identifier + ' · ' + t.title + ' (' + t.tracker + (t.mappings.length ? ': ' + t.mappings.join(', ') : ': no project') + ')';
              b.addEventListener('click', function () {
                input.value = t.identifier;
                hits.textContent = '';
                if (mapping) {
                  Array.prototype.forEach.call(mapping.options, function (o) { o.disabled = o.value !== '' && t.mappings.indexOf(o.value) < 0; });
                  mapping.value = t.mappings.length === 1 ? t.mappings[0] : '';
                  if (t.mappings.length > 1) mapping.focus();
                }
              });
              hits.appendChild(b);
              hits.appendChild(document.createElement('br'));
            });
            if (!answer.tickets || answer.tickets.length === 0) hits.textContent = 'No ticket found.';
          })
          .catch(function () { hits.textContent = 'The search did not answer.'; });
      }, 250);
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    setupThemeToggle();
    tickDurations();
    setInterval(tickDurations, 1000);
    Array.prototype.forEach.call(document.querySelectorAll('table.data'), setupTable);
    setupConfirms();
    setupRunEvents();
    setupLiveLists();
    setupTicketSearch();
  });
})();
