// The actorsupervisor dashboard: one table, kept live by the supervisor's event stream (JSON lines over fetch, so the
// token travels in a header, never in a URL). No framework, no build step: this file is served as it is.
'use strict';

const daemons = new Map();       // name -> the daemon's latest view from the API
const openLogs = new Set();      // names whose log tail is shown
let token = null;
let streamAbort = null;

function api(path, options = {}) {
  const headers = Object.assign({ Authorization: 'Bearer ' + token }, options.headers || {});
  return fetch(path, Object.assign({}, options, { headers, cache: 'no-store' }));
}

function takeToken() {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get('token')) {
    sessionStorage.setItem('actorsupervisor-token', hash.get('token'));
    // The token leaves the address bar and the history at once.
    history.replaceState(null, '', location.pathname);
  }
  return sessionStorage.getItem('actorsupervisor-token');
}

function setConnection(state) {
  const badge = document.getElementById('connection');
  badge.dataset.state = state;
  badge.textContent = state;
}

function ago(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s >= 3600) return Math.floor(s / 3600) + 'h' + String(Math.floor(s % 3600 / 60)).padStart(2, '0') + 'm';
  if (s >= 60) return Math.floor(s / 60) + 'm' + String(s % 60).padStart(2, '0') + 's';
  return s + 's';
}

function failureText(f) {
  if (!f) return '';
  const how = f.signal != null ? 'signal ' + f.signal : f.exit_code != null ? 'exit code ' + f.exit_code : null;
  return [f.reason, how, f.probe_error].filter(Boolean).join('; ');
}

function cell(row, cls) {
  const td = document.createElement('td');
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function button(label, action, name, enabled) {
  const b = document.createElement('button');
  b.textContent = label;
  b.dataset.action = action;
  b.disabled = !enabled;
  b.addEventListener('click', () => act(name, action, b));
  return b;
}

function render() {
  const body = document.querySelector('#daemons tbody');
  const now = Date.now();
  const rows = [];
  for (const name of [...daemons.keys()].sort()) {
    const d = daemons.get(name);
    const tr = document.createElement('tr');
    tr.dataset.daemon = name;
    tr.dataset.state = d.state;
    cell(tr, 'name').textContent = name;
    const badge = document.createElement('span');
    badge.className = 'badge state';
    badge.dataset.state = d.state;
    badge.textContent = d.state;
    cell(tr).appendChild(badge);
    cell(tr, 'num pid').textContent = d.pid > 0 ? d.pid : '-';
    cell(tr, 'num port').textContent = d.port > 0 ? d.port : '-';
    cell(tr, 'num restarts').textContent = d.restarts;
    const active = d.pid > 0 && ['starting', 'running', 'stopping'].includes(d.state) && d.started_at;
    cell(tr, 'num uptime').textContent = active ? ago(now - Date.parse(d.started_at)) : '-';
    cell(tr, 'health').textContent = d.last_health ? ago(now - Date.parse(d.last_health)) + ' ago' : '-';
    const failure = cell(tr, 'failure');
    failure.textContent = failureText(d.last_failure);
    if (d.last_failure && d.last_failure.log_tail && d.last_failure.log_tail.length) failure.title = d.last_failure.log_tail.join('\n');
    const actions = cell(tr, 'actions');
    const final = d.state === 'stopped' || d.state === 'failed';
    actions.appendChild(button('restart', 'restart', name, true));
    actions.appendChild(button('stop', 'stop', name, !final));
    actions.appendChild(button('start', 'start', name, final));
    actions.appendChild(button(openLogs.has(name) ? 'hide log' : 'log', 'log', name, true));
    rows.push(tr);
    if (openLogs.has(name)) {
      const logRow = document.createElement('tr');
      logRow.className = 'log';
      logRow.dataset.logFor = name;
      const td = cell(logRow);
      td.colSpan = 9;
      const pre = document.createElement('pre');
      pre.textContent = (logText.get(name) || '').trimEnd() || '(empty)';
      td.appendChild(pre);
      rows.push(logRow);
    }
  }
  body.replaceChildren(...rows);
  for (const pre of body.querySelectorAll('tr.log pre')) pre.scrollTop = pre.scrollHeight;
}

const logText = new Map();

async function refreshLog(name) {
  try {
    const response = await api('/v1/daemons/' + encodeURIComponent(name) + '/logs?lines=50');
    if (response.ok) logText.set(name, await response.text());
  } catch (e) { /* the next refresh tries again */ }
}

async function act(name, action, b) {
  if (action === 'log') {
    if (openLogs.has(name)) openLogs.delete(name);
    else { openLogs.add(name); await refreshLog(name); }
    render();
    return;
  }
  b.disabled = true;
  message('');
  try {
    const response = await api('/v1/daemons/' + encodeURIComponent(name) + '/' + action, { method: 'POST' });
    const body = await response.json();
    if (!response.ok) message(name + ': ' + body.error, true);
    else { daemons.set(name, body); render(); }
  } catch (e) {
    message(name + ': ' + e.message, true);
  }
}

function message(text, error) {
  const p = document.getElementById('message');
  p.textContent = text;
  p.className = error ? 'error' : 'muted';
}

async function loadStatus() {
  const response = await api('/v1/status');
  if (response.status === 401) throw Object.assign(new Error('the token was refused'), { auth: true });
  if (!response.ok) throw new Error('status: ' + response.status);
  const status = await response.json();
  document.getElementById('session').textContent = 'session ' + status.session + ' · supervisor pid ' + status.supervisor_pid;
  for (const d of status.daemons) daemons.set(d.name, d);
  for (const name of [...daemons.keys()]) if (!status.daemons.some(d => d.name === name)) daemons.delete(name);
  render();
}

// The event stream: a snapshot of every daemon, then each change. On a break, it reconnects (and re-snapshots).
async function stream() {
  let delay = 500;
  for (;;) {
    streamAbort = new AbortController();
    try {
      const response = await api('/v1/events?format=jsonl', { signal: streamAbort.signal });
      if (!response.ok) throw new Error('events: ' + response.status);
      setConnection('live');
      delay = 500;
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
        // One redraw per chunk, except that a daemon changing twice within a chunk is drawn in between: every state
        // it passes through (a short "restarting") is shown, however fast the next one follows.
        const changed = new Set();
        let newline;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (!line) continue;
          const event = JSON.parse(line);
          if (changed.has(event.daemon.name)) { render(); changed.clear(); }
          changed.add(event.daemon.name);
          daemons.set(event.daemon.name, event.daemon);
          if (openLogs.has(event.daemon.name)) refreshLog(event.daemon.name).then(render);
        }
        render();
      }
    } catch (e) { /* fall through to reconnect */ }
    setConnection('offline');
    await new Promise(r => setTimeout(r, delay));
    delay = Math.min(delay * 2, 5000);
  }
}

async function start() {
  token = takeToken();
  if (!token) { showLogin(''); return; }
  try {
    await loadStatus();
  } catch (e) {
    showLogin(e.auth ? 'The token was refused.' : e.message);
    return;
  }
  document.getElementById('login').hidden = true;
  document.getElementById('main').hidden = false;
  stream();
  // Health times and uptimes move without state changes: a status poll and a redraw keep them current.
  setInterval(() => loadStatus().catch(() => {}), 5000);
  setInterval(() => { for (const name of openLogs) refreshLog(name); render(); }, 2000);
}

function showLogin(error) {
  document.getElementById('main').hidden = true;
  document.getElementById('login').hidden = false;
  document.getElementById('login-error').textContent = error;
  setConnection('offline');
}

document.getElementById('login-form').addEventListener('submit', e => {
  e.preventDefault();
  sessionStorage.setItem('actorsupervisor-token', document.getElementById('token').value.trim());
  start();
});

start();
