// The built-in dashboard view: fetches each panel's data from the server and
// draws it, a time series with uPlot and a table as HTML. Each panel ends with
// data-state "drawn" (and data-rows), "empty" or "error".
(function () {
  'use strict';
  const root = document.getElementById('panels');
  if (!root) return;
  const uid = root.dataset.uid;
  const search = window.location.search;
  const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173'];
  const BAND = { ci_low: 'ci_high' };
  const UNFINISHED = '_unfinished';
  function isUnfinished(field) {
    return field.length > UNFINISHED.length && field.slice(-UNFINISHED.length) === UNFINISHED;
  }

  function format(value, unit) {
    if (value === null || value === undefined) return '';
    if (typeof value !== 'number') return String(value);
    if (unit === 'percentunit') return (value * 100).toFixed(1) + ' %';
    if (unit === 'm') return value.toFixed(1) + ' min';
    if (unit && unit.indexOf('suffix:') === 0) return value.toFixed(2) + unit.slice(7);
    return Number.isInteger(value) ? String(value) : value.toFixed(3);
  }

  function colourFor(thresholds, value) {
    if (!thresholds || typeof value !== 'number') return null;
    let colour = thresholds.base;
    for (const step of thresholds.steps) if (value >= step.value) colour = step.color;
    return colour;
  }

  // The same page for one hospital: the tables' hospitals drill down from the network.
  function drillHref(hospital) {
    const params = new URLSearchParams(window.location.search);
    params.set('hospital', hospital);
    return '?' + params.toString();
  }

  function drawTable(body, data) {
    const table = document.createElement('table');
    const head = table.createTHead().insertRow();
    for (const c of data.columns) {
      const th = document.createElement('th');
      th.textContent = c;
      head.appendChild(th);
    }
    const tbody = table.createTBody();
    for (const row of data.rows) {
      const tr = tbody.insertRow();
      row.forEach(function (value, i) {
        const column = data.columns[i];
        const td = tr.insertCell();
        if (typeof value === 'number') td.className = 'number';
        const text = format(value, data.units[column]);
        if (data.trace && column === data.trace.column && value) {
          const a = document.createElement('a');
          a.href = data.trace.url.replace('{trace_id}', encodeURIComponent(String(value)));
          a.target = '_blank';
          a.rel = 'noopener';
          a.textContent = text;
          a.className = 'trace';
          td.appendChild(a);
        } else if (column === 'hospital' && typeof value === 'string' && value && value !== 'network') {
          const a = document.createElement('a');
          a.href = drillHref(value);
          a.textContent = text;
          a.className = 'drill';
          a.title = 'this dashboard for ' + value + ' alone';
          td.appendChild(a);
        } else {
          td.textContent = text;
        }
        if (data.thresholds && column === data.thresholds.column) {
          const colour = colourFor(data.thresholds, value);
          if (colour) td.classList.add('threshold-' + colour);
        }
        if (data.heatmap && data.heatmap.columns.indexOf(column) >= 0) {
          const colour = colourFor(data.heatmap, value);
          if (colour) td.classList.add('threshold-' + colour);
        }
      });
    }
    body.appendChild(table);
    return data.rows.length;
  }

  // One chart of the given series (of data.series), into container; returns the number of lines it draws.
  function drawChart(container, data, list, colourOf, height) {
    const series = [{ label: 'time' }];
    const bands = [];
    const indexOf = {};
    list.forEach(function (s, i) {
      indexOf[s.label + '\u0000' + s.field] = i + 1;
    });
    // A label with one line (besides its interval) is named by the label alone; otherwise by label and column.
    const lines = {};
    list.forEach(function (s) {
      if (s.field !== 'ci_low' && s.field !== 'ci_high' && !isUnfinished(s.field)) lines[s.label] = (lines[s.label] || 0) + 1;
    });
    list.forEach(function (s) {
      const colour = colourOf(s.label);
      const interval = s.field === 'ci_low' || s.field === 'ci_high';
      if (isUnfinished(s.field)) {
        // The period that is not over: a hollow point of the line's colour, not joined to it.
        series.push({
          label: (s.label || s.field.slice(0, -UNFINISHED.length)) + ' (unfinished)',
          stroke: colour,
          width: 1.5,
          paths: function () { return null; },
          points: { show: true, size: 9, width: 2, fill: '#ffffff', stroke: colour },
          value: function (_u, v) { return format(v, data.unit); },
        });
        return;
      }
      const name = s.label && lines[s.label] === 1 && !interval ? s.label : (s.label ? s.label + ' ' : '') + s.field;
      series.push({
        label: name,
        stroke: colour,
        width: interval ? 0.5 : 1.5,
        dash: data.dashed.indexOf(s.field) >= 0 ? [6, 4] : interval ? [2, 3] : undefined,
        spanGaps: true,
        points: { show: data.times.length < 30 && !interval, size: 4 },
        value: function (_u, v) {
          return format(v, data.unit);
        },
      });
    });
    list.forEach(function (s) {
      const high = BAND[s.field];
      if (!high) return;
      const hi = indexOf[s.label + '\u0000' + high];
      if (hi) bands.push({ series: [hi, indexOf[s.label + '\u0000' + s.field]], fill: colourOf(s.label) + '22' });
    });
    const minWidth = height < 300 ? 240 : 320;
    const options = {
      width: Math.max(minWidth, container.clientWidth || 600),
      height: height,
      series: series,
      bands: bands,
      scales: { x: { time: true } },
      axes: [{}, { size: 90, values: function (_u, ticks) { return ticks.map(function (t) { return format(t, data.unit); }); } }],
      legend: { show: true, live: false },
      cursor: { drag: { x: true, y: false } },
    };
    const plot = new uPlot(options, [data.times].concat(list.map(function (s) { return s.values; })), container);
    // The interval bounds are drawn as a band; the legend lists the lines only.
    const legendRows = plot.root.querySelectorAll('.u-legend .u-series');
    const offset = legendRows.length > list.length ? 1 : 0;
    list.forEach(function (s, i) {
      const row = legendRows[i + offset];
      if (row && (s.field === 'ci_low' || s.field === 'ci_high')) row.style.display = 'none';
    });
    window.addEventListener('resize', function () {
      plot.setSize({ width: Math.max(minWidth, container.clientWidth || 600), height: height });
    });
    return Object.keys(lines).length;
  }

  function drawTimeseries(body, data) {
    const labels = [];
    for (const s of data.series) if (labels.indexOf(s.label) < 0) labels.push(s.label);
    // Each label keeps its colour in every small chart.
    const colourOf = function (label) { return PALETTE[labels.indexOf(label) % PALETTE.length]; };
    const section = body.closest('section.panel');
    let most = 0;
    if (data.smallMultiples) {
      // A label of dashed columns only (a norm, a target) is drawn in every small chart.
      const shared = labels.filter(function (l) {
        return data.series.every(function (s) { return s.label !== l || data.dashed.indexOf(s.field) >= 0; });
      });
      const own = labels.filter(function (l) { return shared.indexOf(l) < 0; });
      const grid = document.createElement('div');
      grid.className = 'multiples';
      body.appendChild(grid);
      own.forEach(function (label) {
        const cell = document.createElement('div');
        cell.className = 'multiple';
        const title = document.createElement('h3');
        title.textContent = label;
        cell.appendChild(title);
        grid.appendChild(cell);
        const list = data.series.filter(function (s) { return s.label === label || shared.indexOf(s.label) >= 0; });
        most = Math.max(most, drawChart(cell, data, list, colourOf, 160));
      });
      section.classList.add('with-multiples');
      section.dataset.multiples = String(own.length);
    } else {
      most = drawChart(body, data, data.series, colourOf, 300);
    }
    section.dataset.series = String(most);
    if (data.unfinishedFrom !== null) {
      const note = document.createElement('p');
      note.className = 'unfinished';
      const from = new Date(data.unfinishedFrom * 1000).toISOString().slice(0, 16).replace('T', ' ');
      note.textContent = 'The period from ' + from + ' UTC is not over: its value is a hollow point, not a measured fall, and its interval is left out.';
      body.appendChild(note);
      section.dataset.unfinished = from;
    }
    return data.rows;
  }

  function load(section) {
    const body = section.querySelector('.body');
    const url = '/view/api/d/' + encodeURIComponent(uid) + '/panels/' + section.dataset.index + search;
    return fetch(url, { credentials: 'same-origin' })
      .then(function (response) {
        return response.json().then(function (json) {
          if (!response.ok) throw new Error(json.error || response.statusText);
          return json;
        });
      })
      .then(function (data) {
        body.textContent = '';
        const rows = data.kind === 'table' ? drawTable(body, data) : drawTimeseries(body, data);
        section.dataset.rows = String(rows);
        if (!rows) body.innerHTML = '<p class="empty">No data in this range.</p>';
        section.dataset.state = rows ? 'drawn' : 'empty';
      })
      .catch(function (error) {
        body.textContent = '';
        const p = document.createElement('p');
        p.className = 'error';
        p.textContent = error.message;
        body.appendChild(p);
        section.dataset.state = 'error';
      });
  }

  root.querySelectorAll('section.panel').forEach(load);
})();
