// mailbridge admin panel: small progressive enhancements, no build step.
// - times in the reader's time zone; confirmations; no double submits; copy buttons;
// - the Email Configuration's magic wand (JSON) and its check button (NDJSON stream).
(function () {
  'use strict';

  function csrfToken() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute('content') : '';
  }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === 'text') e.textContent = attrs[k];
        else if (k === 'className') e.className = attrs[k];
        else e.setAttribute(k, attrs[k]);
      });
    }
    (children || []).forEach(function (c) {
      if (c == null) return;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  // Times: server-rendered in UTC, shown in the reader's zone.
  function localizeTimes(root) {
    root.querySelectorAll('time[datetime]').forEach(function (t) {
      var d = new Date(t.getAttribute('datetime'));
      if (isNaN(d.getTime()) || t.dataset.local) return;
      t.dataset.local = '1';
      t.title = t.textContent;
      t.textContent = d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    });
  }

  // Forms: ask before destructive actions; never send a form twice.
  document.addEventListener('submit', function (ev) {
    var f = ev.target;
    if (!(f instanceof HTMLFormElement)) return;
    if (f.dataset.confirm && !window.confirm(f.dataset.confirm)) {
      ev.preventDefault();
      return;
    }
    if (f.method.toLowerCase() !== 'post') return;
    if (f.dataset.submitting) {
      ev.preventDefault();
      return;
    }
    f.dataset.submitting = '1';
    f.querySelectorAll('button[type="submit"]').forEach(function (b) {
      b.setAttribute('aria-disabled', 'true');
    });
  });
  // A page restored from the back/forward cache gets its forms back.
  window.addEventListener('pageshow', function () {
    document.querySelectorAll('form[data-submitting]').forEach(function (f) {
      delete f.dataset.submitting;
      f.querySelectorAll('button[aria-disabled]').forEach(function (b) { b.removeAttribute('aria-disabled'); });
    });
  });

  // Copy buttons: data-copy names the element whose text (or value) to copy.
  function copyText(text, button) {
    var label = button.querySelector('span') || button;
    var before = label.textContent;
    function done(ok) {
      label.textContent = ok ? 'Copied' : 'Press Ctrl+C';
      setTimeout(function () { label.textContent = before; }, 1600);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
      return;
    }
    var ta = el('textarea', { 'aria-hidden': 'true', className: 'sr-only' });
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    ta.remove();
    done(ok);
  }
  document.addEventListener('click', function (ev) {
    var b = ev.target.closest ? ev.target.closest('[data-copy]') : null;
    if (!b) return;
    var src = document.querySelector(b.getAttribute('data-copy'));
    if (!src) return;
    copyText('value' in src && src.tagName === 'INPUT' ? src.value : src.textContent, b);
  });

  localizeTimes(document);

  // ---- Email Configuration ----
  var form = document.getElementById('email-form');
  if (!form) return;

  var wand = document.getElementById('wand');
  var wandResult = document.getElementById('wand-result');
  var trailField = document.getElementById('autodiscover_trail');
  var checkButton = document.getElementById('check-button');
  var stopButton = document.getElementById('check-stop');
  var panel = document.getElementById('check-panel');
  var progressLine = document.getElementById('check-progress');
  var bar = document.getElementById('check-bar');
  var summaryBox = document.getElementById('check-summary');
  var tbody = document.getElementById('check-results');
  var formError = document.getElementById('email-form-error');
  var fieldIds = ['access_type', 'account_logon', 'password', 'ews_url', 'auth_method', 'tenant', 'client_id', 'client_secret', 'client_certificate'];
  var tenantWand = document.getElementById('tenant-wand');
  var tenantResult = document.getElementById('tenant-result');

  // The access type shows its own fields (and the check button's label); the other
  // type's fields are disabled, so they are neither sent nor checked.
  function showAccess() {
    var type = form.elements.access_type.value;
    form.querySelectorAll('[data-access]').forEach(function (group) {
      var on = group.dataset.access === type;
      group.hidden = !on;
      group.querySelectorAll('input, select, button').forEach(function (i) { i.disabled = !on; });
    });
    form.querySelectorAll('[data-access-label]').forEach(function (l) { l.hidden = l.dataset.accessLabel !== type; });
    // Within the app's fields, the chosen credential's field.
    var cred = form.elements.app_auth ? form.elements.app_auth.value : '';
    form.querySelectorAll('[data-app-auth]').forEach(function (group) {
      var on = type === 'microsoft365_app' && group.dataset.appAuth === cred;
      group.hidden = !on;
      group.querySelectorAll('input, textarea').forEach(function (i) { i.disabled = !on; });
    });
  }
  form.elements.access_type.addEventListener('change', showAccess);
  if (form.elements.app_auth) form.elements.app_auth.addEventListener('change', showAccess);
  showAccess();

  function setBusy(button, busy) {
    if (busy) {
      button.setAttribute('aria-busy', 'true');
      button.disabled = true;
    } else {
      button.removeAttribute('aria-busy');
      button.disabled = false;
    }
  }

  function clearErrors() {
    form.querySelectorAll('.field-error').forEach(function (p) { p.remove(); });
    form.querySelectorAll('.has-error').forEach(function (f) { f.classList.remove('has-error'); });
    fieldIds.forEach(function (id) {
      var input = document.getElementById(id);
      if (!input) return;
      input.removeAttribute('aria-invalid');
      var d = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(function (x) { return x && x !== id + '-error'; });
      if (d.length) input.setAttribute('aria-describedby', d.join(' ')); else input.removeAttribute('aria-describedby');
    });
    formError.hidden = true;
    formError.textContent = '';
  }

  // showErrors puts messages next to their fields; others go to the top of the form.
  function showErrors(fields, message) {
    var other = [];
    var first = null;
    Object.keys(fields || {}).forEach(function (id) {
      var input = document.getElementById(id);
      if (!input || fieldIds.indexOf(id) < 0) { other.push(fields[id]); return; }
      var field = input.closest('.field');
      field.classList.add('has-error');
      input.setAttribute('aria-invalid', 'true');
      var p = el('p', { className: 'field-error', id: id + '-error', text: fields[id] });
      var anchor = field.querySelector('.hint') || input.closest('.input-with-button') || input;
      anchor.insertAdjacentElement('afterend', p);
      input.setAttribute('aria-describedby', ((input.getAttribute('aria-describedby') || '') + ' ' + id + '-error').trim());
      if (!first) first = input;
    });
    if (other.length || (message && !first)) {
      formError.textContent = other.length ? other.join(' ') : message;
      formError.hidden = false;
    }
    if (first) first.focus();
  }

  function post(url, body, signal) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': csrfToken(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: body,
      signal: signal
    });
  }

  // The magic wand: Autodiscover with the form's logon, password and authentication.
  wand.addEventListener('click', function () {
    clearErrors();
    var body = new URLSearchParams();
    ['account_logon', 'password', 'auth_method'].forEach(function (n) { body.set(n, form.elements[n].value); });
    setBusy(wand, true);
    wandResult.replaceChildren(el('p', { className: 'busy-note' }, [
      el('span', { className: 'spinner', 'aria-hidden': 'true' }),
      'Looking for the EWS URL with Autodiscover…'
    ]));
    post(form.dataset.discoverUrl, body).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (!data) throw new Error('The server answered ' + res.status + '.');
        return data;
      });
    }).then(function (data) {
      if (data.type === 'error') {
        wandResult.replaceChildren();
        showErrors(data.fields, data.message);
        return;
      }
      // trail_html is rendered and escaped by the server's templates.
      wandResult.innerHTML = data.trail_html || '';
      localizeTimes(wandResult);
      if (data.trail) trailField.value = JSON.stringify(data.trail);
      if (data.ok && data.ews_url) {
        var url = form.elements.ews_url;
        url.value = data.ews_url;
        url.dispatchEvent(new Event('input', { bubbles: true }));
      }
    }).catch(function (err) {
      wandResult.replaceChildren(el('p', { className: 'trail-error', text: 'The magic wand failed: ' + err.message }));
    }).finally(function () {
      setBusy(wand, false);
    });
  });

  // The Microsoft 365 wand: the tenant ID of the domain typed.
  tenantWand.addEventListener('click', function () {
    clearErrors();
    var body = new URLSearchParams();
    body.set('tenant', form.elements.tenant.value);
    setBusy(tenantWand, true);
    tenantResult.replaceChildren(el('p', { className: 'busy-note' }, [
      el('span', { className: 'spinner', 'aria-hidden': 'true' }), 'Looking for the tenant ID…'
    ]));
    post(form.dataset.tenantUrl, body).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (!data) throw new Error('The server answered ' + res.status + '.');
        return data;
      });
    }).then(function (data) {
      if (data.type === 'error') {
        tenantResult.replaceChildren();
        showErrors(data.fields, data.message);
        return;
      }
      var what = data.tenant === data.tenant_id ? ['Microsoft 365 knows the tenant ', el('code', { text: data.tenant_id }), '.'] :
        ['Tenant ID: ', el('code', { text: data.tenant_id }), ', the tenant of ' + data.tenant + ', read from its OpenID configuration.'];
      tenantResult.replaceChildren(el('div', { className: 'trail trail-ok' }, [el('p', { className: 'trail-verdict' }, [
        el('span', { className: 'badge badge-ok', text: 'Found' }), ' ', el('span', {}, what)])]));
    }).catch(function (err) {
      tenantResult.replaceChildren(el('p', { className: 'trail-error', text: 'The magic wand failed: ' + err.message }));
    }).finally(function () {
      setBusy(tenantWand, false);
    });
  });

  // The check: the form as it stands, streamed as NDJSON.
  var statusLabels = { ok: 'OK', warning: 'Warning', failure: 'Failure' };
  var checkLabels = {
    endpoint: 'Endpoint', tls: 'TLS', authentication: 'Authentication', ews: 'EWS', server_version: 'Server version',
    service_mailbox: 'Service mailbox', address: 'Address', mailbox: 'Mailbox', impersonation: 'Impersonation',
    folders: 'Folders', sync: 'Sync', access: 'Access', permissions: 'Permissions'
  };
  var running = null;
  var rows, users, total, fixCount;
  // account names what the check tests besides the users: the service account, or
  // with Microsoft 365 (app-only) the app registration.
  var account = 'Service account';

  function badge(status) {
    return el('span', { className: 'badge badge-' + (statusLabels[status] ? status : 'none'), text: statusLabels[status] || 'Not checked' });
  }

  function resultRow(r) {
    var who = r.user ? el('td', { className: 'break', text: r.user }) : el('td', {}, [el('span', { className: 'strong', text: account })]);
    var message = el('td', {}, [r.message || '']);
    if (r.confidence) message.appendChild(el('span', { className: 'sub', text: 'Confidence: ' + r.confidence + (r.confidence_reason ? ' — ' + r.confidence_reason : '') }));
    var fix;
    if (r.fix) {
      var id = 'live-fix-' + (++fixCount);
      fix = el('td', { className: 'fix-cell' }, [el('div', { className: 'fix' }, [
        el('div', { className: 'fix-bar' }, [
          el('span', { text: 'How to fix' }),
          el('button', { type: 'button', className: 'btn btn-small', 'data-copy': '#' + id, 'aria-label': 'Copy the fix for ' + (r.user || 'the ' + account.toLowerCase()) }, [el('span', { text: 'Copy' })])
        ]),
        el('pre', { id: id, text: r.fix })
      ])]);
    } else {
      fix = el('td', { className: 'fix-cell' }, [el('span', { className: 'muted', text: '—' })]);
    }
    return el('tr', { className: 'row-' + r.status + ' row-new', 'data-user': r.user || '', 'data-check': r.check, 'data-code': r.code }, [
      who,
      el('td', { className: 'nowrap', text: checkLabels[r.check] || r.check }),
      el('td', { className: 'status-col' }, [badge(r.status), ' ', el('code', { className: 'code', text: r.code })]),
      message,
      fix
    ]);
  }

  function setProgress(text, spinning) {
    progressLine.replaceChildren();
    if (spinning) progressLine.appendChild(el('span', { className: 'spinner', 'aria-hidden': 'true' }));
    progressLine.appendChild(document.createTextNode(text));
  }

  function usersProgress() {
    return 'Checked ' + users.size + ' of ' + total + ' user' + (total === 1 ? '' : 's') + '…';
  }

  function handle(line) {
    switch (line.type) {
      case 'start':
        total = line.users;
        bar.max = Math.max(total, 1);
        setProgress('Checking the ' + account.toLowerCase() + '…', true);
        break;
      case 'result': {
        // One row per user (a refined result replaces the provisional one), and one per
        // service-account check.
        var key = line.user ? 'u:' + line.user : 's:' + line.check;
        var row = resultRow(line);
        if (rows.has(key)) tbody.replaceChild(row, rows.get(key)); else tbody.appendChild(row);
        rows.set(key, row);
        if (line.user && !users.has(line.user)) {
          users.add(line.user);
          bar.value = users.size;
          setProgress(usersProgress(), true);
        }
        break;
      }
      case 'summary': {
        bar.value = bar.max;
        setProgress('Done: checked ' + line.users + ' user' + (line.users === 1 ? '' : 's') + '.', false);
        var cls = line.failure > 0 || line.service_account === 'failure' ? 'alert-error' : line.warning > 0 || line.service_account === 'warning' ? 'alert-warning' : 'alert-success';
        summaryBox.replaceChildren(el('div', { className: 'alert ' + cls }, [
          el('p', { className: 'alert-title', text: line.ok + ' OK, ' + line.warning + ' warning' + (line.warning === 1 ? '' : 's') + ', ' + line.failure + ' failure' + (line.failure === 1 ? '' : 's') + '. ' + account + ': ' + (statusLabels[line.service_account] || 'not checked') + '.' }),
          el('p', {}, ['Saved in the history as ', el('a', { href: line.run_url, text: 'check run #' + line.run_id }), '. Nothing in the configuration was saved by checking.'])
        ]));
        break;
      }
      case 'error':
        setProgress('The check did not run.', false);
        showErrors(line.fields, line.message);
        if (!line.fields || !Object.keys(line.fields).length) {
          summaryBox.replaceChildren(el('div', { className: 'alert alert-error', role: 'alert', text: line.message || 'The check failed.' }));
        }
        break;
    }
  }

  function readStream(res) {
    var reader = res.body.getReader();
    var decoder = new TextDecoder();
    var buf = '';
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          if (buf.trim()) handle(JSON.parse(buf));
          return;
        }
        buf += decoder.decode(chunk.value, { stream: true });
        var i;
        while ((i = buf.indexOf('\n')) >= 0) {
          var line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (line) handle(JSON.parse(line));
        }
        return pump();
      });
    }
    return pump();
  }

  checkButton.addEventListener('click', function () {
    if (running) return;
    clearErrors();
    rows = new Map();
    users = new Set();
    total = 0;
    fixCount = 0;
    account = form.elements.access_type.value === 'microsoft365_app' ? 'App' : 'Service account';
    tbody.replaceChildren();
    summaryBox.replaceChildren();
    panel.hidden = false;
    bar.value = 0;
    setProgress('Starting the check…', true);
    setBusy(checkButton, true);
    stopButton.hidden = false;
    running = new AbortController();
    var body = new URLSearchParams(new FormData(form));
    body.delete('csrf');
    body.delete('autodiscover_trail');
    panel.scrollIntoView({ behavior: 'smooth', block: 'start' });
    post(form.dataset.checkUrl, body, running.signal).then(function (res) {
      var type = res.headers.get('Content-Type') || '';
      if (type.indexOf('application/x-ndjson') === 0 && res.body) return readStream(res);
      return res.json().catch(function () { return null; }).then(function (data) {
        handle(data && data.type === 'error' ? data : { type: 'error', message: 'The server answered ' + res.status + '.' });
      });
    }).catch(function (err) {
      if (err.name === 'AbortError') setProgress('Check stopped. The results so far are above.', false);
      else handle({ type: 'error', message: 'The check was interrupted: ' + err.message });
    }).finally(function () {
      running = null;
      setBusy(checkButton, false);
      stopButton.hidden = true;
    });
  });

  stopButton.addEventListener('click', function () {
    if (running) running.abort();
  });
})();
