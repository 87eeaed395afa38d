// The project stepper's live Jira checks: the JQL is validated against the
// Jira API while the operator types, and the field list helps find the repo
// field. The server validates everything again on "Next".
'use strict';

(function () {
  function csrfToken() {
    var input = document.querySelector('input[name="_csrf"]');
    return input ? input.value : '';
  }

  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': csrfToken() },
      body: new URLSearchParams(body).toString(),
    }).then(function (r) { return r.json(); });
  }

  function setupJql() {
    var input = document.getElementById('jql');
    var status = document.getElementById('jql-status');
    if (!input || !status) return;
    var timer = null;
    var seq = 0;
    var check = function () {
      var mine = ++seq;
      status.className = 'jql-status';
      status.textContent = 'Checking with Jira…';
      post('/admin/projects/jira/validate-jql', { jql: input.value }).then(function (result) {
        if (mine !== seq) return;
        status.className = 'jql-status ' + (result.valid ? 'ok' : 'bad');
        status.textContent = result.message + (typeof result.matchCount === 'number' ? ' (' + result.matchCount + ' issues match)' : '');
      }, function () {
        if (mine !== seq) return;
        status.className = 'jql-status bad';
        status.textContent = 'Could not reach the server to check the JQL.';
      });
    };
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(check, 400);
    });
    if (input.value.trim()) check();
  }

  function setupFields() {
    var list = document.getElementById('jira-fields');
    if (!list) return;
    fetch('/admin/projects/jira/fields', { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var fields = data.fields || [];
        var target = document.getElementById('jira-fields-text');
        if (target) target.textContent = fields.length ? 'Custom fields found in Jira: ' + fields.map(function (f) { return f.name; }).join(', ') : '';
      }, function () { /* discovery is a convenience; the form works without it */ });
  }

  document.addEventListener('DOMContentLoaded', function () {
    setupJql();
    setupFields();
  });
})();
