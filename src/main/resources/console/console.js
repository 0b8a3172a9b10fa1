'use strict';
// The operator console: one EventSource on /console/feed, one JSON snapshot a second, drawn with plain DOM and SVG.
// Everything is set as text (never as HTML), so nothing in a snapshot can become markup.
(() => {
  const HISTORY = 60;
  const series = {ledgerRate: [], ledgerBatch: [], httpRate: [], httpP99: []};
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const fmt = (v, digits = 1) => (v === undefined || v === null) ? '–' : Number(v).toFixed(digits).replace(/\.0+$/, '');
  const sum = (xs, f) => xs.reduce((a, x) => a + (f(x) || 0), 0);

  function push(name, v) {
    const s = series[name];
    s.push(v === undefined || v === null ? 0 : v);
    if (s.length > HISTORY) s.shift();
  }

  // Each sparkline is an empty <svg> in the page; its scale and line are added here once.
  for (const svg of document.querySelectorAll('svg.spark')) {
    svg.setAttribute('viewBox', '0 0 120 30');
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.append(document.createElementNS('http://www.w3.org/2000/svg', 'polyline'));
  }

  function spark(id, values) {
    const max = Math.max(1e-9, ...values);
    const step = 120 / Math.max(1, HISTORY - 1);
    const offset = (HISTORY - values.length) * step;
    const pts = values.map((v, i) => `${(offset + i * step).toFixed(1)},${(29 - (v / max) * 27).toFixed(1)}`);
    $(id).querySelector('polyline').setAttribute('points', pts.join(' '));
  }

  function bars(container, rows) {
    container.replaceChildren();
    if (rows.length === 0) {
      container.append(el('p', 'empty', 'nothing yet'));
      return;
    }
    const max = Math.max(1, ...rows.map((r) => r.max !== undefined ? r.max : r.value));
    for (const r of rows) {
      const bar = el('div', 'bar');
      bar.dataset.name = r.name;
      const track = el('div', 'track');
      const fill = el('div', 'fill');
      fill.style.width = `${Math.min(100, (r.value / max) * 100)}%`;
      track.append(fill);
      bar.append(el('span', 'name', r.name), track, el('span', 'num', r.label));
      container.append(bar);
    }
  }

  function members(list) {
    const ul = $('members');
    ul.replaceChildren();
    for (const m of list) {
      const li = el('li', m.self ? 'self' : '');
      li.dataset.member = m.id;
      li.append(el('span', 'id', m.id));
      for (const r of m.roles) li.append(el('span', 'role', r));
      ul.append(li);
    }
  }

  function breakers(nodes) {
    const ul = $('breakers');
    ul.replaceChildren();
    const seen = new Map();
    for (const n of nodes) {
      for (const b of n.breakers || []) {
        const worst = seen.get(b.provider);
        const rank = {closed: 0, half_open: 1, open: 2};
        if (!worst || rank[b.state] > rank[worst.state]) seen.set(b.provider, {state: b.state, node: n.node});
      }
    }
    if (seen.size === 0) ul.append(el('li', 'empty', 'no providers on these nodes'));
    for (const [provider, b] of seen) {
      const li = el('li', 'breaker');
      li.dataset.provider = provider;
      li.dataset.state = b.state;
      li.append(el('span', 'name', provider), el('span', 'state', b.state.replace('_', '-')));
      if (b.state !== 'closed') li.append(el('span', 'where', `on ${b.node}`));
      ul.append(li);
    }
  }

  function table(id, rows) {
    const body = $(id).querySelector('tbody');
    body.replaceChildren();
    for (const cells of rows) {
      const tr = el('tr');
      for (const c of cells) {
        const td = el('td', c.cls, c.text);
        tr.append(td);
      }
      body.append(tr);
    }
  }

  function render(s) {
    const nodes = s.nodes || [];
    members(s.members || []);
    const ledgers = nodes.filter((n) => n.ledger);
    const rate = sum(ledgers, (n) => n.ledger.transfers_per_s);
    const batch = ledgers.length ? Math.max(...ledgers.map((n) => n.ledger.batch_size)) : 0;
    push('ledgerRate', rate);
    push('ledgerBatch', batch);
    $('ledger-rate').textContent = ledgers.length ? fmt(rate) : '–';
    $('ledger-batch').textContent = ledgers.length ? fmt(batch) : '–';
    $('ledger-queue').textContent = ledgers.length ? String(sum(ledgers, (n) => n.ledger.queue)) : '–';
    $('ledger-halted').hidden = !ledgers.some((n) => n.ledger.halted);
    spark('spark-ledger-rate', series.ledgerRate);
    spark('spark-ledger-batch', series.ledgerBatch);

    const http = nodes.map((n) => n.http).filter(Boolean);
    const p99s = http.map((h) => h.p99_ms).filter((v) => v !== undefined);
    const p99 = p99s.length ? Math.max(...p99s) : undefined;
    push('httpRate', sum(http, (h) => h.requests_per_s));
    push('httpP99', p99);
    $('http-rate').textContent = fmt(sum(http, (h) => h.requests_per_s));
    $('http-p99').textContent = p99 === undefined ? '–' : `${fmt(p99, 0)} ms`;
    $('http-errors').textContent = fmt(sum(http, (h) => h.errors_per_s));
    spark('spark-http-rate', series.httpRate);
    spark('spark-http-p99', series.httpP99);

    const pay = Object.entries(s.payments || {});
    bars($('payments'), pay.map(([k, v]) => ({name: k.replace('_', ' '), value: v, label: String(v)})));
    breakers(nodes);

    const caches = [];
    for (const n of nodes) {
      for (const c of n.caches || []) {
        if (c.l1_hit_ratio !== undefined) caches.push({name: `${c.cache} L1 · ${n.node}`, value: c.l1_hit_ratio, max: 1,
          label: `${Math.round(c.l1_hit_ratio * 100)}%`});
        if (c.l2_hit_ratio !== undefined) caches.push({name: `${c.cache} L2 · ${n.node}`, value: c.l2_hit_ratio, max: 1,
          label: `${Math.round(c.l2_hit_ratio * 100)}%`});
      }
    }
    bars($('caches'), caches);

    table('events', (s.events || []).map((e) => [
      {text: e.consumer}, {text: fmt(e.undelivered, 0)},
      {text: `${fmt(e.lag_s)} s`, cls: e.lag_s > 30 ? 'lagging' : ''},
      {text: fmt(e.parked, 0), cls: e.parked > 0 ? 'alert' : ''}]));
    table('parked', (s.parked || []).map((p) => [
      {text: new Date(p.parked_at).toLocaleString()}, {text: p.consumer}, {text: p.type}, {text: String(p.attempts)}]));
    $('updated').textContent = `updated ${new Date(s.at).toLocaleTimeString()} via ${s.console_node}`;
  }

  const source = new EventSource('/console/feed');
  source.onopen = () => {
    $('status').dataset.state = 'live';
    $('status').textContent = 'live';
  };
  source.onerror = () => {
    $('status').dataset.state = 'lost';
    $('status').textContent = 'reconnecting…';
  };
  source.onmessage = (m) => render(JSON.parse(m.data));
})();
