// mlpsrun report: draws the plots of one or more runs from the data mlpsrun embedded in the
// page (<script id="mlps-data">: each run's summary.json and time series). Chart.js (Debian's
// libjs-chart.js) is inlined before this script; nothing is fetched at view time.
//
// Every plot is a <figure class="plot"> that marks itself once Chart.js has drawn it:
// data-drawn="true" and data-points="N" (the points and bars Chart.js laid out), which is what
// the test suite reads back from headless Chromium.
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('mlps-data').textContent);
  const runs = data.runs;
  const root = document.getElementById('plots');
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2',
                   '#7f7f7f', '#bcbd22', '#17becf'];
  let plotCount = 0;

  Chart.defaults.animation = false;
  Chart.defaults.font.size = 12;
  Chart.register({
    id: 'mlpsDrawn',
    afterDraw(chart) {
      let points = 0;
      chart.data.datasets.forEach((_, i) => { points += chart.getDatasetMeta(i).data.length; });
      const figure = chart.canvas.closest('figure');
      figure.dataset.drawn = 'true';
      figure.dataset.points = String(points);
    },
  });

  // ---- units -------------------------------------------------------------------------------
  const MiB = 1024 * 1024;
  function bandwidthUnit(maxBytesPerS) {
    return maxBytesPerS >= 1024 * MiB ? { name: 'GiB/s', div: 1024 * MiB } : { name: 'MiB/s', div: MiB };
  }
  function timeUnit(ns) {
    if (ns >= 1e9) return { name: 's', div: 1e9 };
    if (ns >= 1e6) return { name: 'ms', div: 1e6 };
    return { name: 'µs', div: 1e3 };
  }

  // ---- page elements -----------------------------------------------------------------------
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function section(parent, title, id) {
    const s = el('section', id ? { id } : {});
    s.appendChild(el('h2', {}, title));
    parent.appendChild(s);
    return s;
  }
  function note(parent, text) {
    parent.appendChild(el('p', { class: 'note' }, text));
  }
  // A figure with a canvas; `name` is a stable id for tests and links.
  function figure(parent, name, title, caption) {
    const f = el('figure', { class: 'plot', 'data-plot': name, 'data-drawn': 'false',
                             'data-points': '0' });
    f.appendChild(el('h3', {}, title));
    const box = el('div', { class: 'canvas-box' });
    const canvas = el('canvas', {});
    box.appendChild(canvas);
    f.appendChild(box);
    if (caption) f.appendChild(el('figcaption', {}, caption));
    parent.appendChild(f);
    plotCount++;
    return canvas;
  }
  function colour(i) { return palette[i % palette.length]; }

  function lineChart(canvas, datasets, xTitle, yTitle, opts) {
    opts = opts || {};
    return new Chart(canvas, {
      type: 'line',
      data: {
        datasets: datasets.map((d, i) => ({
          label: d.label, data: d.points, borderColor: colour(i), backgroundColor: colour(i),
          borderWidth: 1.5, pointRadius: d.points.length > 60 ? 0 : 2, stepped: d.stepped || false,
          yAxisID: d.axis || 'y', parsing: false, spanGaps: false,
        })),
      },
      options: {
        responsive: true, maintainAspectRatio: false,
        interaction: { mode: 'nearest', intersect: false },
        scales: Object.assign({
          x: { type: opts.xLog ? 'logarithmic' : 'linear', title: { display: true, text: xTitle } },
          y: { type: 'linear', min: opts.yMin, max: opts.yMax, beginAtZero: !opts.xLog,
               title: { display: true, text: yTitle } },
        }, opts.y2 ? { y2: { type: 'linear', position: 'right', beginAtZero: true,
                             grid: { drawOnChartArea: false },
                             title: { display: true, text: opts.y2 } } } : {}),
        plugins: { legend: { position: 'bottom' } },
      },
    });
  }
  function barChart(canvas, labels, datasets, yTitle) {
    return new Chart(canvas, {
      type: 'bar',
      data: {
        labels,
        datasets: datasets.map((d, i) => ({ label: d.label, data: d.values,
                                            backgroundColor: d.colour || colour(i) })),
      },
      options: {
        responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, title: { display: true, text: yTitle } } },
        plugins: { legend: { position: 'bottom' } },
      },
    });
  }

  // ---- reading a run -------------------------------------------------------------------------
  function seriesMetrics(run) {
    return run.series && run.series.metrics ? run.series.metrics : {};
  }
  // Traffic classes: every "<class>.bytes" counter (the same rule as the progress line).
  function trafficClasses(run) {
    const names = new Set();
    Object.entries(run.summary.metrics || {}).forEach(([name, m]) => {
      if (m.kind === 'counter' && name.endsWith('.bytes') && m.total > 0) names.add(name.slice(0, -6));
    });
    return Array.from(names).sort();
  }
  // Per interval: x = end of the interval (s since the timed start), y = f(delta, length); an
  // interval without samples (f gives null) is a gap in the line, not a slope across it.
  function perInterval(metric, f) {
    const out = [];
    if (!metric) return out;
    const n = (metric.delta || metric.value || []).length; // a gauge has `value`, not `delta`
    for (let i = 0; i < n; i++) {
      const len = metric.length_s[i];
      if (len <= 0) continue;
      const y = f(metric, i, len);
      out.push({ x: metric.start_s[i] + len, y: y !== null && Number.isFinite(y) ? y : null });
    }
    return out.some(p => p.y !== null) ? out : [];
  }
  function rate(metric, i, len) { return metric.delta[i] / len; }
  function level(metric, i) { return metric.value[i]; } // a gauge: its value at the interval's end
  // A CDF from the exact histogram buckets: x = the bucket's upper bound, y = the share of
  // samples at or below it.
  function cdf(histogram, div) {
    const buckets = histogram && histogram.buckets;
    if (!buckets || !histogram.count) return [];
    let seen = 0;
    const out = [];
    buckets.forEach(([, high, count]) => {
      seen += count;
      out.push({ x: Math.max(high, 1) / div, y: seen / histogram.count });
    });
    return out;
  }
  function maxOf(points) { return points.reduce((m, p) => Math.max(m, p.y), 0); }
  function scaled(points, div) {
    return points.map(p => ({ x: p.x, y: p.y === null ? null : p.y / div }));
  }

  // ---- one run ------------------------------------------------------------------------------
  function drawRun(run, index) {
    const s = run.summary;
    const sec = section(root, `${s.benchmark_name} ${s.run_id}: ${s.status}${s.partial ? ' (partial)' : ''}`,
                        `run-${index}`);
    const facts = el('dl', { class: 'facts' });
    const timing = s.timing || {};
    [['started', s.started_at], ['timed window', `${(timing.timed_s || 0).toFixed(1)} s` +
      (timing.warmup_s ? ` after ${timing.warmup_s} s of warm-up` : '')],
     ['ranks', String(s.ranks || 1)], ['hosts', (s.per_host || []).map(h => h.hostname).join(', ')],
     ['spec', `${(s.spec || {}).source || '?'} (hash ${(s.spec || {}).hash_fnv1a64 || '?'})`],
     ['results', run.folder]].forEach(([k, v]) => {
      facts.appendChild(el('dt', {}, k));
      facts.appendChild(el('dd', {}, v || ''));
    });
    sec.appendChild(facts);
    const headline = (s.benchmark || {}).headline;
    if (Array.isArray(headline) && headline.length) {
      sec.appendChild(el('pre', { class: 'headline' }, headline.join('\n')));
    }
    (run.notes || []).forEach(n => note(sec, n));

    const classes = trafficClasses(run);
    const series = seriesMetrics(run);
    const prefix = `run${index}`;
    if (run.series) {
      const bw = classes.map(c => ({ label: c, points: perInterval(series[c + '.bytes'], rate) }))
                        .filter(d => d.points.length);
      if (bw.length) {
        const unit = bandwidthUnit(Math.max(...bw.map(d => maxOf(d.points))));
        lineChart(figure(sec, `${prefix}-bandwidth`, 'Bandwidth over time, per traffic class',
                         `Bytes completed in each interval of the time series (run.progress_interval), per second; ${run.series.ranks}.`),
                  bw.map(d => ({ label: d.label, points: scaled(d.points, unit.div) })),
                  'time since the timed phase started (s)', unit.name);
      }
      const iops = classes.map(c => ({
        label: c,
        points: perInterval(series[c + '.ops'] || series[c + '.latency'], rate),
      })).filter(d => d.points.length);
      if (iops.length) {
        lineChart(figure(sec, `${prefix}-iops`, 'Operations per second over time, per traffic class'),
                  iops, 'time since the timed phase started (s)', 'operations/s');
      }
      const p99 = classes.filter(c => series[c + '.latency']).map(c => ({
        label: c + ' p99',
        points: perInterval(series[c + '.latency'], (m, i) => (m.delta[i] ? m.p99[i] : null)),
      })).filter(d => d.points.length);
      if (p99.length) {
        const unit = timeUnit(Math.max(...p99.map(d => maxOf(d.points))));
        lineChart(figure(sec, `${prefix}-latency-p99`, 'Latency p99 over time, per traffic class'),
                  p99.map(d => ({ label: d.label, points: scaled(d.points, unit.div) })),
                  'time since the timed phase started (s)', `p99 (${unit.name})`);
      }
    } else {
      note(sec, 'No time series: this run has no timeseries.h5 (mlps built without HDF5, or the timed phase was shorter than one interval).');
    }

    const hist = s.metrics || {};
    const cdfNames = classes.filter(c => hist[c + '.latency'] && hist[c + '.latency'].count)
                            .map(c => c + '.latency');
    drawCdf(sec, `${prefix}-latency-cdf`, 'Latency distribution (CDF), per traffic class',
            cdfNames.map(n => ({ label: n.slice(0, -8), h: hist[n] })));
    const requestNames = Object.keys(hist).filter(n => (n === 'requests.latency' || /^qos\..*\.latency$/.test(n)) &&
                                                       hist[n].count);
    if (requestNames.length) {
      drawCdf(sec, `${prefix}-request-cdf`, 'Request latency distribution (CDF), end to end',
              requestNames.map(n => ({ label: n.slice(0, -8), h: hist[n] })));
    }
    if ((s.per_rank || []).length > 1) drawRanks(sec, prefix, run, classes);
    if (s.benchmark_name === 'kvcache') drawKvcache(sec, prefix, run);
  }

  function drawCdf(parent, name, title, list) {
    list = list.filter(d => d.h && d.h.buckets && d.h.buckets.length);
    if (!list.length) return;
    const unit = timeUnit(Math.max(...list.map(d => d.h.p50 || 0)));
    lineChart(figure(parent, name, title,
                     'From the exact log-linear histograms (≤0.78 % bucket error): the share of operations at or below each latency.'),
              list.map(d => ({ label: d.label, points: cdf(d.h, unit.div), stepped: true })),
              `latency (${unit.name}, log scale)`, 'share of operations', { xLog: true, yMin: 0, yMax: 1 });
  }

  function drawRanks(parent, prefix, run, classes) {
    const s = run.summary;
    const ranks = s.per_rank.filter(r => r && r.metrics);
    const perS = classes.map(c => ranks.map(r => ((r.metrics[c + '.bytes'] || {}).per_s) || 0));
    const unit = bandwidthUnit(Math.max(0, ...perS.flat()));
    barChart(figure(parent, `${prefix}-per-rank`, 'Bandwidth per rank',
                    "Each rank's bytes over its own timed window."),
             ranks.map(r => `rank ${r.rank} (${(r.host || {}).hostname || '?'})`),
             classes.map((c, i) => ({ label: c, values: perS[i].map(v => v / unit.div) })), unit.name);
    const hosts = s.per_host || [];
    const window = ((s.job || {}).window || {}).aggregate_s || (s.timing || {}).timed_s || 0;
    if (hosts.length && window > 0) {
      const perHost = classes.map(c => hosts.map(h => ((h.bytes || {})[c] || 0) / window));
      const hUnit = bandwidthUnit(Math.max(0, ...perHost.flat()));
      barChart(figure(parent, `${prefix}-per-host`, 'Bandwidth per host',
                      "The host's ranks' bytes over the job's window (earliest start to latest end)."),
               hosts.map(h => `${h.hostname} (${(h.ranks || []).length} ranks)`),
               classes.map((c, i) => ({ label: c, values: perHost[i].map(v => v / hUnit.div) })), hUnit.name);
    }
  }

  function drawKvcache(parent, prefix, run) {
    const series = seriesMetrics(run);
    const sub = el('div', { class: 'kvcache' });
    sub.appendChild(el('h3', {}, 'KV cache'));
    parent.appendChild(sub);
    if (run.series) {
      const hits = series['cache.hits'], misses = series['cache.misses'];
      if (hits && misses) {
        const points = perInterval(hits, (m, i) => {
          const total = m.delta[i] + misses.delta[i];
          return total ? m.delta[i] / total : null;
        });
        if (points.length) {
          lineChart(figure(sub, `${prefix}-hit-rate`, 'Cache hit rate over time',
                           'Hits / (hits + misses) of the cache reads in each interval.'),
                    [{ label: 'hit rate', points }], 'time since the timed phase started (s)',
                    'hit rate', { yMin: 0, yMax: 1 });
        }
      }
      const requests = perInterval(series['requests.ops'], rate);
      const queue = series['requests.queue_wait'];
      if (requests.length) {
        const datasets = [{ label: 'requests/s', points: requests }];
        let y2;
        if (queue) {
          const qp = perInterval(queue, (m, i) => (m.delta[i] ? m.p99[i] : null));
          const unit = timeUnit(maxOf(qp));
          datasets.push({ label: `queue wait p99 (${unit.name})`, points: scaled(qp, unit.div), axis: 'y2' });
          y2 = `queue wait p99 (${unit.name})`;
        }
        lineChart(figure(sub, `${prefix}-requests`, 'Requests completed and queue wait over time',
                         'Requests completed per second and the p99 of the time requests waited for a worker.'),
                  datasets, 'time since the timed phase started (s)', 'requests/s', { y2 });
      }
      // Gauges: the active users (the autoscaler changes them) and the requests waiting for a
      // worker, each at the end of every interval.
      const users = perInterval(series['workload.active_users'], level);
      if (users.length) {
        const datasets = [{ label: 'active users', points: users, stepped: true }];
        const depth = perInterval(series['requests.queue_depth'], level);
        if (depth.length) datasets.push({ label: 'requests queued', points: depth, stepped: true, axis: 'y2' });
        lineChart(figure(sub, `${prefix}-users`, 'Active users and queue depth over time',
                         'Users sending requests (the autoscaler adds and removes them) and requests waiting for a worker, at the end of each interval.'),
                  datasets, 'time since the timed phase started (s)', 'users',
                  { yMin: 0, y2: depth.length ? 'requests queued' : undefined });
      }
    }
    const qos = (((run.summary.benchmark || {}).summary) || {}).qos_metrics || {};
    const names = Object.keys(qos).filter(n => qos[n] && qos[n].sla);
    if (names.length) {
      barChart(figure(sub, `${prefix}-qos`, 'QoS per class: p95 latency against its target',
                      'End-to-end request latency p95 of each QoS class and the target of the reference.'),
               names,
               [{ label: 'p95 (ms)', values: names.map(n => qos[n].sla.actual_p95_ms) },
                { label: 'target p95 (ms)', values: names.map(n => qos[n].sla.target_p95_ms), colour: '#999999' }],
               'ms');
    }
  }

  // ---- several runs: overlays -------------------------------------------------------------
  function drawOverlay() {
    const sec = section(root, `All ${runs.length} runs together`, 'overlay');
    const label = r => `${r.summary.run_id}`;
    const withSeries = runs.filter(r => r.series);
    if (withSeries.length) {
      const totals = withSeries.map(r => {
        const classes = trafficClasses(r), series = seriesMetrics(r);
        const byX = new Map();
        classes.forEach(c => perInterval(series[c + '.bytes'], rate).forEach(p => {
          const key = p.x.toFixed(3);
          byX.set(key, { x: p.x, y: (byX.has(key) ? byX.get(key).y : 0) + p.y });
        }));
        return { label: label(r), points: Array.from(byX.values()).sort((a, b) => a.x - b.x) };
      }).filter(d => d.points.length);
      if (totals.length) {
        const unit = bandwidthUnit(Math.max(...totals.map(d => maxOf(d.points))));
        lineChart(figure(sec, 'overlay-bandwidth', 'Total bandwidth over time, every run',
                         'All traffic classes of a run added up, per interval.'),
                  totals.map(d => ({ label: d.label, points: scaled(d.points, unit.div) })),
                  'time since the timed phase started (s)', unit.name);
      }
    }
    // One CDF overlay per traffic class that at least two runs share.
    const counts = new Map();
    runs.forEach(r => trafficClasses(r).forEach(c => counts.set(c, (counts.get(c) || 0) + 1)));
    Array.from(counts.entries()).filter(([, n]) => n >= 2).map(([c]) => c).sort().forEach(c => {
      drawCdf(sec, `overlay-cdf-${c}`, `Latency distribution of ${c}, every run`,
              runs.map(r => ({ label: label(r), h: (r.summary.metrics || {})[c + '.latency'] })));
    });
    const bars = runs.map(r => trafficClasses(r).reduce((sum, c) =>
      sum + (((r.summary.metrics || {})[c + '.bytes'] || {}).per_s || 0), 0));
    const unit = bandwidthUnit(Math.max(0, ...bars));
    barChart(figure(sec, 'overlay-bars', 'Mean bandwidth of each run',
                    "Bytes of every traffic class over the run's timed window."),
             runs.map(label), [{ label: 'all classes', values: bars.map(v => v / unit.div) }], unit.name);
  }

  runs.forEach(drawRun);
  if (runs.length > 1) drawOverlay();
  document.body.dataset.plots = String(plotCount);
  document.body.dataset.ready = 'true';
})();
