// kubernetes-auth self-service page: the user API (doc/user-api.md) from
// the browser. No framework, no build step, nothing from elsewhere.
//
// The session token lives in this closure only: not in localStorage, not in
// a cookie (so no request is ever sent with credentials the browser adds on
// its own: no CSRF surface). It is revoked on "Sign out" and when the page
// goes away. The page never sees, asks for or sends the admin token.
(function () {
  'use strict';

  // A short-lived token for the page itself (at most login.ttl).
  var SESSION_TTL = '1h';
  var SESSION_DESCRIPTION = 'web';

  var session = null; // {id, token, expiry, username} while signed in
  var me = null;      // the last GET /me answer

  function $(id) { return document.getElementById(id); }

  function show(el, yes) { el.hidden = !yes; }

  function setError(el, text) {
    el.textContent = text || '';
    show(el, !!text);
  }

  function setStatus(el, text) { el.textContent = text || ''; }

  // RFC 3339 → the reader's local time to the minute, the exact value in
  // a tooltip.
  function timeCell(value, none) {
    if (!value) { return document.createTextNode(none); }
    var t = document.createElement('time');
    t.dateTime = value;
    t.title = value;
    var d = new Date(value);
    t.textContent = isNaN(d.getTime()) ? value : d.getFullYear() + '-' + two(d.getMonth() + 1) +
      '-' + two(d.getDate()) + ' ' + two(d.getHours()) + ':' + two(d.getMinutes());
    return t;
  }

  function two(n) { return (n < 10 ? '0' : '') + n; }

  function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }

  // --- HTTP ---------------------------------------------------------------

  // An answer: {status, body (parsed JSON or null), headers}. A network
  // failure is status 0.
  function call(method, path, options) {
    options = options || {};
    var headers = { 'Accept': 'application/json' };
    if (options.auth) { headers['Authorization'] = options.auth; }
    else if (session) { headers['Authorization'] = 'Bearer ' + session.token; }
    var init = { method: method, headers: headers, cache: 'no-store',
                 credentials: 'omit', redirect: 'error' };
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(options.json);
    }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        return { status: res.status, body: body, text: text, headers: res.headers };
      });
    }, function () {
      return { status: 0, body: null, text: '', headers: new Headers() };
    });
  }

  function errorOf(answer) {
    return answer.body && typeof answer.body.error === 'string' ? answer.body.error : '';
  }

  // What a person can do about a failed answer, in a sentence.
  function explain(answer, what) {
    var s = answer.status;
    if (s === 0) {
      return 'Cannot reach the service (' + what + '): check your network, then try again.';
    }
    if (s === 429) {
      var wait = parseInt(answer.headers.get('Retry-After') || '', 10);
      return 'Too many tries from your address. Wait ' +
        (wait > 0 ? plural(wait, 'second') : 'a little') + ' and try again.';
    }
    if (s === 502 || s === 503 || s === 504) {
      return 'The service is unavailable right now (' + (errorOf(answer) || 'HTTP ' + s) +
        '). Try again in a minute; if it lasts, tell your administrator.';
    }
    return 'Could not ' + what + ': ' + (errorOf(answer) || 'HTTP ' + s) + '.';
  }

  // Base64 of the UTF-8 bytes (btoa alone takes Latin-1 only).
  function basic(user, password) {
    var bytes = new TextEncoder().encode(user + ':' + password);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return 'Basic ' + btoa(bin);
  }

  // --- sign in and out ----------------------------------------------------

  var retryTimer = null;

  function holdSignIn(seconds) {
    var button = $('sign-in-button');
    button.disabled = true;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { button.disabled = false; }, seconds * 1000);
  }

  function signIn(event) {
    event.preventDefault();
    var user = $('username').value.trim();
    var password = $('password').value;
    var errorEl = $('sign-in-error');
    if (!user || !password) {
      setError(errorEl, 'Enter your user name and your password.');
      (user ? $('password') : $('username')).focus();
      return;
    }
    setError(errorEl, '');
    setStatus($('sign-in-status'), 'Signing in…');
    $('sign-in-button').disabled = true;
    var auth = basic(user, password);
    var body = { ttl: SESSION_TTL, description: SESSION_DESCRIPTION };
    call('POST', '/login', { auth: auth, json: body }).then(function (a) {
      // A deployment whose login.ttl is below the page's asks for its own.
      if (a.status === 400 && /ttl/.test(errorOf(a))) {
        return call('POST', '/login', { auth: auth, json: { description: SESSION_DESCRIPTION } });
      }
      return a;
    }).then(function (a) {
      $('sign-in-button').disabled = false;
      setStatus($('sign-in-status'), '');
      if (a.status === 201 && a.body && a.body.token) {
        $('password').value = '';
        session = { id: a.body.id, token: a.body.token, expiry: a.body.expiry, username: user };
        return enter();
      }
      var text;
      if (a.status === 401) {
        text = 'Wrong user name or password.';
      } else if (a.status === 403) {
        text = 'You may not sign in here: ' + (errorOf(a) || 'refused') + '.';
      } else if (a.status === 404) {
        text = 'Signing in with a password is turned off on this service.';
      } else {
        text = explain(a, 'sign in');
      }
      if (a.status === 429) {
        var wait = parseInt(a.headers.get('Retry-After') || '', 10);
        holdSignIn(wait > 0 ? wait : 5);
      }
      $('password').value = '';
      setError(errorEl, text);
      $('password').focus();
    });
  }

  // Leave the signed-in view; the token is gone from memory either way.
  function leave(message) {
    session = null;
    clearTimeout(expiryTimer);
    me = null;
    clearSecret();
    $('tokens-body').textContent = '';
    show($('app'), false);
    show($('session'), false);
    show($('sign-in'), true);
    setError($('app-error'), '');
    setError($('sign-in-error'), message || '');
    setStatus($('sign-in-status'), message ? '' : 'Signed out.');
    $(message ? 'password' : 'username').focus();
  }

  function signOut() {
    if (!session) { return; }
    var button = $('sign-out');
    button.disabled = true;
    call('POST', '/logout').then(function (a) {
      button.disabled = false;
      // 401: it had expired or was revoked already; signed out all the same.
      if (a.status === 200 || a.status === 401) {
        leave('');
      } else {
        setError($('app-error'), explain(a, 'sign out') +
          ' Your page token stays valid until it expires.');
      }
    });
  }

  // Leaving the page (closing the tab, reloading, navigating away) revokes
  // the token: keepalive lets the request outlive the page.
  function revokeOnExit() {
    if (!session) { return; }
    try {
      fetch('/logout', { method: 'POST', keepalive: true, credentials: 'omit', cache: 'no-store',
                         headers: { 'Authorization': 'Bearer ' + session.token } });
    } catch (e) { /* nothing more can be done as the page goes */ }
    session = null;
  }

  // Any 401 once signed in: the token expired or was revoked elsewhere.
  function sessionEnded(a) {
    if (a.status === 401) {
      leave('Your session has ended (it expired or was revoked). Sign in again.');
      return true;
    }
    return false;
  }

  var expiryTimer = null;

  function enter() {
    // Back to the sign-in form when the token expires, not at the next click.
    var left = Date.parse(session.expiry) - Date.now();
    clearTimeout(expiryTimer);
    if (left > 0 && left < 0x7fffffff) {
      expiryTimer = setTimeout(function () {
        if (session) { leave('Your session has ended (it expired). Sign in again.'); }
      }, left);
    }
    $('session-user').textContent = session.username;
    show($('session'), true);
    show($('sign-in'), false);
    show($('app'), true);
    setStatus($('sign-in-status'), '');
    return Promise.all([loadMe(), loadTokens()]).then(function () {
      if (session) { $('whoami-title').focus(); }
    });
  }

  // --- who am I -------------------------------------------------------------

  function fillChips(list, values, none) {
    list.textContent = '';
    if (!values || values.length === 0) {
      var li = document.createElement('li');
      li.className = 'none';
      li.textContent = none;
      list.appendChild(li);
      return;
    }
    values.forEach(function (v) {
      var item = document.createElement('li');
      item.textContent = v;
      list.appendChild(item);
    });
  }

  function loadMe() {
    return call('GET', '/me').then(function (a) {
      if (sessionEnded(a)) { return; }
      var refused = $('me-refused');
      if (a.status === 403) {
        setError(refused, 'The clusters would refuse your tokens now: ' + (errorOf(a) || 'refused') +
          '. Ask your administrator.');
        return;
      }
      if (a.status !== 200 || !a.body) {
        setError(refused, explain(a, 'read who you are'));
        return;
      }
      setError(refused, '');
      me = a.body;
      // The local user, whatever was typed (a mail, say).
      if (me.user && me.user.username) { $('session-user').textContent = me.user.username; }
      $('me-username').textContent = me.username || '';
      $('me-uid').textContent = me.uid || '—';
      fillChips($('me-groups'), me.groups, 'none');
      var extra = me.extra && Object.keys(me.extra).length ? me.extra : null;
      show($('me-extra-label'), !!extra);
      show($('me-extra'), !!extra);
      if (extra) {
        $('me-extra').textContent = Object.keys(extra).map(function (k) {
          return k + ': ' + [].concat(extra[k]).join(', ');
        }).join('; ');
      }
      fillChips($('me-clusters'), me.clusters, 'none registered yet');
      var expiry = (me.token && me.token.expiry) || session.expiry;
      var cell = $('me-session-expiry');
      cell.textContent = '';
      cell.appendChild(timeCell(expiry, 'never'));
      fillClusters(me.clusters || []);
    });
  }

  // --- kubeconfig ------------------------------------------------------------

  function fileName(cluster) {
    return 'kubeconfig-' + cluster.replace(/[^A-Za-z0-9._-]/g, '_') + '.json';
  }

  function showCommands(cluster) {
    var origin = window.location.origin;
    $('cmd-use').textContent = cluster ?
      'export KUBECONFIG=~/Downloads/' + fileName(cluster) : 'choose a cluster above';
    $('cmd-setup').textContent = 'kubectl auth-login setup --url ' + origin +
      ' --cluster ' + (cluster || 'NAME');
  }

  function fillClusters(clusters) {
    var select = $('kubeconfig-cluster');
    var chosen = select.value;
    select.textContent = '';
    clusters.forEach(function (name) {
      var o = document.createElement('option');
      o.value = name;
      o.textContent = name;
      select.appendChild(o);
    });
    if (clusters.indexOf(chosen) >= 0) { select.value = chosen; }
    select.disabled = $('kubeconfig-download').disabled = clusters.length === 0;
    showCommands(select.value);

    var box = $('create-clusters-list');
    box.textContent = '';
    clusters.forEach(function (name, i) {
      var label = document.createElement('label');
      label.className = 'check';
      var input = document.createElement('input');
      input.type = 'checkbox';
      input.name = 'clusters';
      input.value = name;
      input.id = 'create-cluster-' + i;
      label.htmlFor = input.id;
      label.appendChild(input);
      label.appendChild(document.createTextNode(' ' + name));
      box.appendChild(label);
    });
    show($('create-clusters'), clusters.length > 0);
  }

  function downloadKubeconfig(event) {
    event.preventDefault();
    var cluster = $('kubeconfig-cluster').value;
    var errorEl = $('kubeconfig-error');
    if (!cluster) { return; }
    setError(errorEl, '');
    setStatus($('kubeconfig-status'), 'Fetching the kubeconfig for ' + cluster + '…');
    call('GET', '/me/kubeconfig?cluster=' + encodeURIComponent(cluster)).then(function (a) {
      setStatus($('kubeconfig-status'), '');
      if (sessionEnded(a)) { return; }
      if (a.status === 200 && a.text) {
        var blob = new Blob([a.text.replace(/\n?$/, '\n')], { type: 'application/json' });
        var link = document.createElement('a');
        link.href = URL.createObjectURL(blob);
        link.download = fileName(cluster);
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () { URL.revokeObjectURL(link.href); }, 60000);
        showCommands(cluster);
        setStatus($('kubeconfig-status'), 'Downloaded ' + fileName(cluster) + '.');
        return;
      }
      var text;
      if (a.status === 404) {
        text = 'You cannot use the cluster ' + cluster + ' with this session.';
      } else if (a.status === 409) {
        text = 'The cluster ' + cluster + ' has no API server address on record yet: ' +
          'ask your administrator to set it.';
      } else {
        text = explain(a, 'get the kubeconfig');
      }
      setError(errorEl, text);
    });
  }

  // --- tokens ----------------------------------------------------------------

  function loadTokens() {
    return call('GET', '/me/tokens').then(function (a) {
      if (sessionEnded(a)) { return; }
      var errorEl = $('tokens-error');
      if (a.status !== 200 || !Array.isArray(a.body)) {
        setError(errorEl, explain(a, 'list your tokens'));
        return;
      }
      setError(errorEl, '');
      renderTokens(a.body);
    });
  }

  function cell(row, content) {
    var td = document.createElement('td');
    if (typeof content === 'string') { td.textContent = content; } else { td.appendChild(content); }
    row.appendChild(td);
    return td;
  }

  function renderTokens(tokens) {
    var body = $('tokens-body');
    body.textContent = '';
    tokens.forEach(function (t) {
      var tr = document.createElement('tr');
      tr.dataset.id = t.id;
      var mine = session && t.id === session.id;
      var desc = cell(tr, t.description || '(no description)');
      if (mine) {
        var tag = document.createElement('span');
        tag.className = 'tag';
        tag.textContent = 'this page';
        desc.appendChild(document.createTextNode(' '));
        desc.appendChild(tag);
      }
      cell(tr, timeCell(t.created, '—'));
      cell(tr, timeCell(t.expiry, 'never'));
      cell(tr, timeCell(t.last_used, 'never'));
      cell(tr, t.clusters && t.clusters.length ? t.clusters.join(', ') : 'all');
      var actions = cell(tr, '');
      if (!mine) {
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'danger revoke';
        b.textContent = 'Revoke';
        b.setAttribute('aria-label', 'Revoke ' + (t.description || 'token') + ' (created ' +
          (t.created || '?') + ')');
        b.addEventListener('click', function () { askRevoke(t, b); });
        actions.appendChild(b);
      }
      body.appendChild(tr);
    });
    setStatus($('tokens-status'), plural(tokens.length, 'live token') + '.');
  }

  function askRevoke(token, button) {
    var dialog = $('confirm');
    $('confirm-text').textContent = '"' + (token.description || '(no description)') +
      '" stops working at once, everywhere it is used. This cannot be undone.';
    dialog.returnValue = '';
    dialog.onclose = function () {
      if (dialog.returnValue === 'ok') { revoke(token); } else { button.focus(); }
    };
    dialog.showModal();
    $('confirm-cancel').focus();
  }

  function revoke(token) {
    var name = '"' + (token.description || 'token') + '"';
    call('DELETE', '/me/tokens/' + encodeURIComponent(token.id)).then(function (a) {
      if (sessionEnded(a)) { return; }
      // 404: revoked or expired meanwhile; gone either way.
      var done = a.status === 200 || a.status === 404;
      return loadTokens().then(function () {
        if (done) {
          setStatus($('tokens-status'), 'Revoked ' + name + '. ' + $('tokens-status').textContent);
        } else {
          setError($('tokens-error'), explain(a, 'revoke ' + name));
        }
        $('tokens-title').focus();
      });
    });
  }

  function clearSecret() {
    $('new-secret-value').value = '';
    setStatus($('new-secret-status'), '');
    show($('new-secret'), false);
  }

  function createToken(event) {
    event.preventDefault();
    var errorEl = $('tokens-error');
    var req = { description: $('create-description').value.trim(), ttl: $('create-ttl').value };
    var clusters = [].slice.call(document.querySelectorAll('#create-clusters-list input:checked'))
      .map(function (i) { return i.value; });
    if (clusters.length) { req.clusters = clusters; }
    setError(errorEl, '');
    $('create-button').disabled = true;
    call('POST', '/me/tokens', { json: req }).then(function (a) {
      $('create-button').disabled = false;
      if (sessionEnded(a)) { return; }
      if (a.status === 201 && a.body && a.body.token) {
        $('create-form').reset();
        $('new-secret-value').value = a.body.token;
        setStatus($('new-secret-status'), '');
        show($('new-secret'), true);
        $('new-secret-title').focus();
        return loadTokens();
      }
      var text;
      if (a.status === 409) {
        text = 'You hold as many tokens as you may (' + (errorOf(a) || 'limit reached') +
          '): revoke one first.';
      } else if (a.status === 400) {
        text = 'The token was not created: ' + (errorOf(a) || 'bad request') + '.';
      } else {
        text = explain(a, 'create the token');
      }
      setError(errorEl, text);
    });
  }

  function copySecret() {
    var input = $('new-secret-value');
    var done = function () { setStatus($('new-secret-status'), 'Copied to the clipboard.'); };
    var byHand = function () {
      input.focus();
      input.select();
      var copied = false;
      try { copied = document.execCommand('copy'); } catch (e) { copied = false; }
      if (copied) { done(); } else {
        setStatus($('new-secret-status'), 'Could not copy: it is selected, press Ctrl+C (⌘C).');
      }
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(done, byHand);
    } else {
      byHand();
    }
  }

  // --- wiring ----------------------------------------------------------------

  document.addEventListener('DOMContentLoaded', function () {
    $('sign-in-form').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', signOut);
    $('kubeconfig-form').addEventListener('submit', downloadKubeconfig);
    $('kubeconfig-cluster').addEventListener('change', function () {
      setError($('kubeconfig-error'), '');
      setStatus($('kubeconfig-status'), '');
      showCommands(this.value);
    });
    $('create-form').addEventListener('submit', createToken);
    $('new-secret-copy').addEventListener('click', copySecret);
    $('new-secret-done').addEventListener('click', function () {
      clearSecret();
      $('create-description').focus();
    });
    window.addEventListener('pagehide', revokeOnExit);
    // Back from the back/forward cache: the token was revoked on the way out.
    window.addEventListener('pageshow', function (e) {
      if (e.persisted && !session && !$('app').hidden) {
        leave('You left the page, which signed you out. Sign in again.');
      }
    });
    showCommands('');
    $('username').focus();
  });
}());
