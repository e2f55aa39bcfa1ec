/**
 * The status page: one HTML document with its style and a small hand-written script inline (no
 * external file, no CDN: the browser may have no internet). The script opens /api/stream
 * (server-sent events; the cookie carries the key) and draws every chart as inline SVG.
 */

const STYLE = String.raw`
:root { --bg:#0f1419; --panel:#171e26; --line:#27313d; --text:#d8dee6; --dim:#8a96a3; --good:#4cc38a; --bad:#f07178; --warn:#ffb454; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--text); font:13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display:flex; align-items:baseline; gap:16px; padding:12px 18px; border-bottom:1px solid var(--line); }
header h1 { font-size:17px; margin:0; font-weight:600; }
header .meta { color:var(--dim); }
header .right { margin-left:auto; display:flex; gap:14px; align-items:baseline; }
header a { color:var(--dim); }
.dot { display:inline-block; width:8px; height:8px; border-radius:50%; margin-right:5px; background:var(--dim); }
.dot.up { background:var(--good); } .dot.down { background:var(--bad); }
main { display:grid; grid-template-columns:repeat(auto-fill, minmax(420px, 1fr)); gap:12px; padding:12px 18px 24px; }
section { background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:10px 12px; min-width:0; }
section.wide { grid-column:1 / -1; }
section h2 { font-size:13px; font-weight:600; margin:0 0 6px; display:flex; gap:8px; align-items:baseline; }
section h2 small { color:var(--dim); font-weight:400; }
svg.chart { width:100%; height:150px; display:block; }
svg.chart text { fill:var(--dim); font-size:10px; }
svg.chart .grid { stroke:var(--line); stroke-width:1; }
.legend { display:flex; flex-wrap:wrap; gap:4px 14px; margin-top:4px; color:var(--dim); }
.legend b { color:var(--text); font-weight:600; }
.swatch { display:inline-block; width:10px; height:3px; margin-right:5px; vertical-align:middle; }
table { width:100%; border-collapse:collapse; }
th, td { text-align:left; padding:3px 6px; border-bottom:1px solid var(--line); white-space:nowrap; overflow:hidden; text-overflow:ellipsis; max-width:260px; }
th { color:var(--dim); font-weight:500; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.bar { width:90px; height:6px; display:block; } .bar rect { fill:var(--warn); }
.empty { color:var(--dim); padding:14px 4px; }
.targets { display:flex; flex-wrap:wrap; gap:6px 16px; }
.champion { color:var(--good); font-weight:600; }
.scroll { max-height:320px; overflow:auto; }
`;

const SCRIPT = String.raw`
(function () {
  'use strict';
  var COLORS = ['#59c2ff', '#ffb454', '#4cc38a', '#f07178', '#d2a6ff', '#95e6cb', '#e6b673'];
  var MAX_POINTS = 900;
  var ticks = [];
  var state = null;
  var $ = function (id) { return document.getElementById(id); };
  var esc = function (s) { return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; }); };

  function num(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    var a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(2) + 'M';
    if (a >= 1e4) return (v / 1e3).toFixed(1) + 'k';
    if (a >= 100) return v.toFixed(0);
    if (a >= 10) return v.toFixed(1);
    return v.toFixed(2);
  }
  function count(v) { return v === null || v === undefined ? '–' : Math.round(v).toLocaleString('en-US'); }
  function ms(seconds) {
    if (seconds === null || seconds === undefined) return '–';
    var m = seconds * 1000;
    return m >= 100 ? m.toFixed(0) + ' ms' : m >= 10 ? m.toFixed(1) + ' ms' : m.toFixed(2) + ' ms';
  }
  function clock(t) { var d = new Date(t); return d.toTimeString().slice(0, 8); }
  function ago(t) { if (!t) return 'never'; var s = Math.max(0, (Date.now() - t) / 1000); return s < 90 ? s.toFixed(0) + ' s ago' : s < 5400 ? (s / 60).toFixed(0) + ' min ago' : (s / 3600).toFixed(1) + ' h ago'; }

  /** A line chart as inline SVG: series [{name, values:[number|null]}] over the ticks' times. */
  function chart(id, series, format) {
    var W = 600, H = 150, L = 46, R = 8, T = 8, B = 18;
    var times = ticks.map(function (t) { return t.atMs; });
    var max = 0;
    series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null && v > max) max = v; }); });
    var top = max > 0 ? niceCeil(max) : 1;
    var t0 = times.length ? times[0] : 0, t1 = times.length ? times[times.length - 1] : 1;
    var span = Math.max(1, t1 - t0);
    var x = function (t) { return L + ((t - t0) / span) * (W - L - R); };
    var y = function (v) { return T + (1 - v / top) * (H - T - B); };
    var out = [];
    for (var g = 0; g <= 3; g++) {
      var v = (top * g) / 3, yy = y(v).toFixed(1);
      out.push('<line class="grid" x1="' + L + '" x2="' + (W - R) + '" y1="' + yy + '" y2="' + yy + '"/>');
      out.push('<text x="' + (L - 4) + '" y="' + (Number(yy) + 3) + '" text-anchor="end">' + esc(format(v)) + '</text>');
    }
    if (times.length > 1) {
      out.push('<text x="' + L + '" y="' + (H - 4) + '">' + clock(t0) + '</text>');
      out.push('<text x="' + (W - R) + '" y="' + (H - 4) + '" text-anchor="end">' + clock(t1) + '</text>');
    }
    var legend = [];
    series.forEach(function (s, i) {
      var color = COLORS[i % COLORS.length];
      var segments = [], current = [];
      s.values.forEach(function (v, j) {
        if (v === null || v === undefined) { if (current.length) segments.push(current); current = []; return; }
        current.push(x(times[j]).toFixed(1) + ',' + y(v).toFixed(1));
      });
      if (current.length) segments.push(current);
      segments.forEach(function (pts) {
        if (pts.length === 1) pts.push(pts[0]);
        out.push('<polyline data-series="' + esc(s.name) + '" fill="none" stroke="' + color + '" stroke-width="1.6" points="' + pts.join(' ') + '"/>');
      });
      var last = null;
      for (var k = s.values.length - 1; k >= 0; k--) if (s.values[k] !== null && s.values[k] !== undefined) { last = s.values[k]; break; }
      legend.push('<span><svg class="swatch" viewBox="0 0 10 3"><rect width="10" height="3" fill="' + color + '"/></svg>' + esc(s.name) + ' <b>' + esc(format(last)) + '</b></span>');
    });
    var el = $(id);
    el.innerHTML = '<svg class="chart" viewBox="0 0 ' + W + ' ' + H + '" preserveAspectRatio="none" data-chart="' + id + '" data-points="' + times.length + '">' + out.join('') + '</svg><div class="legend">' + legend.join('') + '</div>';
  }
  function niceCeil(v) {
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var n = v / p;
    return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * p;
  }
  function col(path) { return ticks.map(function (t) { var v = path(t); return v === undefined ? null : v; }); }

  function render() {
    if (!state) return;
    $('updated').textContent = 'updated ' + clock(state.generatedAtMs);
    $('prefix').textContent = state.topicPrefix ? 'topics under "' + state.topicPrefix + '"' : '';
    $('kafka').innerHTML = '<span class="dot ' + (state.kafka.up ? 'up' : 'down') + '"></span>Kafka ' + (state.kafka.up ? 'answers (' + state.kafka.lastPollMs + ' ms)' : esc(state.kafka.error || 'down'));
    chart('events', [
      { name: 'clickstream.events.v1', values: col(function (t) { return t.rates.events; }) },
      { name: 'features.updated.v1', values: col(function (t) { return t.rates.features; }) },
      { name: 'predictions.updated.v1', values: col(function (t) { return t.rates.predictions; }) },
      { name: 'recommendations.served.v1', values: col(function (t) { return t.rates.recommendations; }) },
    ], num);
    renderVersions();
    chart('lag', state.lag.map(function (g) { return { name: g.group + ' @ ' + g.topic, values: col(function (t) { return t.lag[g.group]; }) }; }), num);
    $('lag-note').innerHTML = state.lag.map(function (g) {
      return g.total === null ? '<div class="empty">' + esc(g.group) + ': no offsets committed on ' + esc(g.topic) + ' (not running, or never ran)</div>' : '';
    }).join('');
    Array.prototype.forEach.call(document.querySelectorAll('[data-latency]'), function (box) {
      var id = box.getAttribute('data-latency');
      if (!state.latencies.some(function (l) { return l.id === id; })) box.innerHTML = '<div class="empty">not scraped: its service is not in CONSOLE_SCRAPE_TARGETS</div>';
    });
    state.latencies.forEach(function (l) {
      var box = $('lat-' + l.id);
      if (!box) return;
      chart('lat-' + l.id, [
        { name: 'p50', values: col(function (t) { return t.latency[l.id] ? t.latency[l.id].p50 : null; }) },
        { name: 'p99', values: col(function (t) { return t.latency[l.id] ? t.latency[l.id].p99 : null; }) },
      ], ms);
      var by = Object.keys(l.by || {}).sort();
      var target = state.targets.filter(function (t) { return t.name === l.target; })[0];
      var note = target && !target.up ? '<div class="empty">' + esc(l.target) + ' /metrics: ' + esc(target.error || 'down') + '</div>' : l.count === 0 ? '<div class="empty">no observations in the last ' + (state.windows.latencyMs / 1000) + ' s</div>' : '';
      $('lat-' + l.id + '-by').innerHTML = note + (by.length > 1 || (by.length === 1 && by[0] !== '') ? '<table><tr><th>' + esc(l.byLabel) + '</th><th class="num">p50</th><th class="num">p99</th><th class="num">observed</th></tr>' + by.map(function (k) {
        var p = l.by[k];
        return '<tr><td>' + esc(k) + '</td><td class="num">' + ms(p.p50) + '</td><td class="num">' + ms(p.p99) + '</td><td class="num">' + p.count + '</td></tr>';
      }).join('') + '</table>' : '');
    });
    chart('dlq-rate', [{ name: 'clickstream.dlq.v1', values: col(function (t) { return t.rates.dlq; }) }], num);
    var reasons = state.deadLetters.reasons;
    var most = reasons.length ? reasons[0].count : 1;
    $('dlq-total').textContent = count(state.deadLetters.total) + ' in the topic';
    $('dlq').innerHTML = reasons.length === 0 ? '<div class="empty">no dead letters</div>' : '<table><tr><th>stage</th><th>reason</th><th class="num">count</th><th></th><th>latest</th></tr>' + reasons.map(function (r) {
      return '<tr><td>' + esc(r.stage) + '</td><td>' + esc(r.reasonCode) + '</td><td class="num">' + r.count + '</td><td><svg class="bar" viewBox="0 0 90 6"><rect rx="3" height="6" width="' + Math.max(2, (90 * r.count) / most).toFixed(0) + '"/></svg></td><td title="' + esc(r.lastReason) + '">' + esc(r.lastReason) + ' · ' + ago(r.lastAtMs) + '</td></tr>';
    }).join('') + '</table>';
    renderModels();
    var feed = state.predictions.newest;
    $('feed-total').textContent = count(state.predictions.total) + ' seen since the console started';
    $('feed').innerHTML = feed.length === 0 ? '<div class="empty">no prediction since the console started (predictions.updated.v1 is followed from its end)</div>' : '<table><tr><th>time</th><th>shopper</th><th class="num">P(purchase)</th><th>segment</th><th>model</th><th class="num">events</th><th>top feature</th><th class="num">notice → prediction</th></tr>' + feed.map(function (p) {
      return '<tr><td>' + clock(p.predictedAtMs) + '</td><td>' + esc(p.shopperKey) + '</td><td class="num">' + p.probability.toFixed(4) + '</td><td>' + esc(p.segment || '–') + '</td><td>' + esc(p.modelVersion) + '</td><td class="num">' + p.events + '</td><td>' + esc(p.topFeature ? p.topFeature + ' ' + (p.topContribution >= 0 ? '+' : '') + p.topContribution.toFixed(3) : '–') + '</td><td class="num">' + (p.noticeToPredictionMs === null ? '–' : p.noticeToPredictionMs + ' ms') + '</td></tr>';
    }).join('') + '</table>';
    var recs = state.recommendations;
    $('recs-total').textContent = recs.available ? count(recs.total) + ' served since the console started' : '';
    $('recs').innerHTML = recs.available ? (recs.rows.length === 0 ? '<div class="empty">no recommendation served since the console started (recommendations.served.v1 is followed from its end)</div>' : '<table><tr><th>time</th><th>shopper</th><th>session</th><th>items (reason)</th><th>model</th><th>id</th></tr>' + recs.rows.map(function (r) {
      return '<tr><td>' + clock(r.atMs) + '</td><td>' + esc(r.shopperKey) + '</td><td>' + esc(r.sessionId || '–') + '</td><td>' + esc(r.items.map(function (i) { return i.itemId + (i.reason ? ' (' + i.reason + ')' : ''); }).join(', ')) + '</td><td>' + esc(r.modelVersion) + '</td><td>' + esc(r.recommendationId) + '</td></tr>';
    }).join('') + '</table>') : '<div class="empty" data-empty="recommendations">' + esc(recs.note) + '</div>';
    $('targets').innerHTML = state.targets.map(function (t) {
      return '<span title="' + esc(t.url) + '"><span class="dot ' + (t.up ? 'up' : 'down') + '"></span>' + esc(t.name) + ' ' + (t.up ? t.scrapeMs + ' ms' : esc(t.error || 'down')) + '</span>';
    }).join('');
  }

  function renderVersions() {
    var names = {};
    ticks.forEach(function (t) {
      if (!t.versions) return;
      Object.keys(t.versions.predictions).forEach(function (v) { names['predictions ' + v] = ['predictions', v]; });
      Object.keys(t.versions.recommendations).forEach(function (v) { names['recommendations ' + v] = ['recommendations', v]; });
    });
    var keys = Object.keys(names).sort();
    if (keys.length === 0) { $('versions').innerHTML = '<div class="empty">no prediction or served recommendation since the console started</div>'; return; }
    chart('versions', keys.map(function (k) {
      var kind = names[k][0], v = names[k][1];
      return { name: k, values: col(function (t) { return t.versions && t.versions[kind][v] !== undefined ? t.versions[kind][v] : null; }) };
    }), num);
  }

  function renderModels() {
    var models = state.models;
    if (models.length === 0) { $('models').innerHTML = '<div class="empty">no model in the registry (models.published.v1) yet</div>'; return; }
    var names = {};
    models.forEach(function (m) { m.versions.forEach(function (v) { Object.keys(v.metrics).forEach(function (k) { names[k] = true; }); }); });
    var metrics = Object.keys(names).sort();
    var live = {};
    models.forEach(function (m) { m.versions.forEach(function (v) { Object.keys(v.liveMetrics).forEach(function (k) { live[k] = true; }); }); });
    var liveNames = Object.keys(live).sort();
    var head = '<tr><th>model</th><th>version</th><th>created</th>' + metrics.map(function (k) { return '<th class="num">' + esc(k) + '</th>'; }).join('') + '<th class="num">live pred/s</th><th class="num">live mean P</th>' + liveNames.map(function (k) { return '<th class="num">live ' + esc(k) + '</th>'; }).join('') + '</tr>';
    var rows = [];
    models.forEach(function (m) {
      m.versions.forEach(function (v) {
        rows.push('<tr><td>' + esc(m.model) + '</td><td class="' + (v.champion ? 'champion' : '') + '">' + esc(v.version) + (v.champion ? ' ★ champion' : '') + '</td><td>' + ago(v.createdAtMs) + '</td>' + metrics.map(function (k) { return '<td class="num">' + (k in v.metrics ? v.metrics[k].toFixed(4) : '') + '</td>'; }).join('') +
          '<td class="num">' + (v.live ? num(v.live.perSecond) : '') + '</td><td class="num">' + (v.live ? v.live.meanProbability.toFixed(4) : '') + '</td>' + liveNames.map(function (k) { return '<td class="num">' + (k in v.liveMetrics ? Number(v.liveMetrics[k]).toFixed(4) : '') + '</td>'; }).join('') + '</tr>');
      });
    });
    $('models').innerHTML = '<table>' + head + rows.join('') + '</table>';
  }

  function connect() {
    var source = new EventSource('/api/stream');
    source.addEventListener('snapshot', function (e) {
      var data = JSON.parse(e.data);
      ticks = data.ticks;
      state = data.state;
      $('conn').innerHTML = '<span class="dot up"></span>live';
      render();
    });
    source.addEventListener('tick', function (e) {
      var data = JSON.parse(e.data);
      ticks.push(data.tick);
      if (ticks.length > MAX_POINTS) ticks.splice(0, ticks.length - MAX_POINTS);
      state = data.state;
      render();
    });
    source.addEventListener('denied', function (e) {
      source.close();
      $('conn').innerHTML = '<span class="dot down"></span>key refused: ' + esc(JSON.parse(e.data).message) + ' (reload with /?key=…)';
    });
    source.onerror = function () { $('conn').innerHTML = '<span class="dot down"></span>reconnecting…'; };
  }
  connect();
})();
`;

function latencyPanel(id: string, title: string): string {
  return `<section><h2>${title} <small>p50 / p99</small></h2><div id="lat-${id}" data-latency="${id}"></div><div id="lat-${id}-by"></div></section>`;
}

/** The page itself (its script fills every panel from /api/stream). */
export function statusPage(nonce: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Clickwise status</title><link rel="icon" href="data:,"><style nonce="${nonce}">${STYLE}</style></head>
<body>
<header><h1>Clickwise status</h1><span class="meta" id="prefix"></span><span class="meta" id="kafka"></span>
<span class="right"><span class="meta" id="conn"><span class="dot"></span>connecting…</span><span class="meta" id="updated"></span><a href="/logout">log out</a></span></header>
<main>
<section><h2>Events/s <small>records appended per second</small></h2><div id="events"></div></section>
<section><h2>Consumer lag <small>records behind the end of the log, per group</small></h2><div id="lag"></div><div id="lag-note"></div></section>
${latencyPanel('ingest', 'Ingest accept')}
${latencyPanel('features', 'Features: ingest → notice')}
${latencyPanel('prediction', 'Prediction: notice → prediction')}
${latencyPanel('click', 'Click → prediction')}
${latencyPanel('grpc', 'Prediction gRPC')}
<section><h2>Dead letters <small id="dlq-total"></small></h2><div id="dlq-rate"></div><div id="dlq" class="scroll"></div></section>
${latencyPanel('recommender-grpc', 'Recommender gRPC')}
<section class="wide"><h2>Models <small>registry (models.published.v1): offline hold-out metrics; live: what this console saw on predictions.updated.v1 and the prediction service's live metrics</small></h2><div id="models" class="scroll"></div></section>
<section class="wide"><h2>Model versions live <small>predictions and served recommendation lists per second, by model version (last 60 s)</small></h2><div id="versions"></div></section>
<section class="wide"><h2>Live predictions <small id="feed-total"></small></h2><div id="feed" class="scroll"></div></section>
<section class="wide"><h2>Live recommendations <small id="recs-total"></small></h2><div id="recs" class="scroll"></div></section>
<section class="wide"><h2>Scrape targets <small>/metrics</small></h2><div id="targets" class="targets"></div></section>
</main>
<script nonce="${nonce}">${SCRIPT}</script>
</body></html>`;
}

/** 401/403: how to open the page with an ops key. */
export function deniedPage(nonce: string, status: number, message: string): string {
  const safe = message.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Clickwise status: ${status}</title><link rel="icon" href="data:,"><style nonce="${nonce}">${STYLE} .box{max-width:640px;margin:60px auto;padding:20px} code{background:#0b0f13;padding:2px 5px;border-radius:3px}</style></head>
<body><section class="box"><h2>${status === 403 ? 'This key lacks the ops scope' : 'An ops key is needed'}</h2>
<p>${safe}</p>
<p>Open the page once as <code>/?key=&lt;ops key&gt;</code>: the key is checked, kept in an HttpOnly cookie for this site, and taken out of the address.
<code>./clickwise up</code> prints such a link; or make a key with <code>./clickwise keys create --name ops --scopes ops</code>.</p></section></body></html>`;
}
