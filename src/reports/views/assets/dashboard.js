// The dashboards' browser script: sign in and out, the viewer's time zone, charts (Chart.js, served by
// us), sortable tables and the live-calls refresh. Pages work without it except for charts and live data.
(function () {
  'use strict';

  function $(sel, root) {
    return (root || document).querySelector(sel);
  }
  function $all(sel, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(sel));
  }

  // ---- sign in / out ------------------------------------------------------------------------------
  var login = $('#login-form');
  if (login) {
    login.addEventListener('submit', function (e) {
      e.preventDefault();
      var error = $('#login-error');
      error.hidden = true;
      fetch('/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ email: $('#email').value, password: $('#password').value }),
      })
        .then(function (res) {
          if (res.ok) {
            var next = login.getAttribute('data-next') || '/dashboard';
            window.location.assign(next.charAt(0) === '/' && next.charAt(1) !== '/' ? next : '/dashboard');
            return;
          }
          error.textContent =
            res.status === 401 ? 'Wrong email or password.' : 'Sign-in failed (' + res.status + ').';
          error.hidden = false;
        })
        .catch(function () {
          error.textContent = 'The server cannot be reached.';
          error.hidden = false;
        });
    });
  }
  var logout = $('#logout');
  if (logout) {
    logout.addEventListener('click', function () {
      fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' }).finally(function () {
        window.location.assign('/login');
      });
    });
  }

  // ---- the viewer's time zone ---------------------------------------------------------------------
  var tzInput = $('input[data-tz]');
  var browserTz;
  try {
    browserTz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    browserTz = undefined;
  }
  if (tzInput && browserTz) {
    var params = new URLSearchParams(window.location.search);
    if (!params.has('tz') && tzInput.value !== browserTz) {
      // First visit: show days and hours in the viewer's zone.
      params.set('tz', browserTz);
      window.location.replace(window.location.pathname + '?' + params.toString());
      return;
    }
  }
  var filters = $('#filters');
  if (filters) {
    filters.addEventListener('change', function (e) {
      if (e.target && e.target.tagName === 'SELECT') filters.submit();
    });
  }

  // ---- charts -------------------------------------------------------------------------------------
  var palette = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];
  if (window.Chart) {
    $all('canvas[data-chart]').forEach(function (canvas) {
      var spec = JSON.parse(canvas.getAttribute('data-chart'));
      var doughnut = spec.type === 'doughnut';
      var hasMoney = spec.series.some(function (s) {
        return s.axis === 'money';
      });
      var chart = new window.Chart(canvas, {
        type: spec.type,
        data: {
          labels: spec.labels,
          datasets: spec.series.map(function (s, i) {
            return {
              label: s.label,
              data: s.data,
              yAxisID: doughnut ? undefined : s.axis === 'money' ? 'money' : 'count',
              borderColor: doughnut ? '#fff' : palette[i % palette.length],
              backgroundColor: doughnut ? palette : palette[i % palette.length] + '33',
              tension: 0.2,
              fill: false,
            };
          }),
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          scales: doughnut
            ? {}
            : Object.assign(
                { count: { type: 'linear', position: 'left', beginAtZero: true, ticks: { precision: 0 } } },
                hasMoney
                  ? {
                      money: {
                        type: 'linear',
                        position: 'right',
                        beginAtZero: true,
                        grid: { drawOnChartArea: false },
                      },
                    }
                  : {},
              ),
        },
      });
      canvas.setAttribute('data-rendered', String(chart.data.datasets.length));
    });
  }

  // ---- sortable tables ----------------------------------------------------------------------------
  function cellValue(td, numeric) {
    var text = td.textContent.trim();
    if (!numeric) return text.toLowerCase();
    var n = parseFloat(text.replace(/[%,]/g, ''));
    return isNaN(n) ? -Infinity : n;
  }
  $all('table.sortable').forEach(function (table) {
    $all('th', table).forEach(function (th, index) {
      function sort() {
        var numeric = th.getAttribute('data-numeric') === 'true';
        var desc = th.getAttribute('aria-sort') !== 'descending';
        $all('th', table).forEach(function (other) {
          other.removeAttribute('aria-sort');
        });
        th.setAttribute('aria-sort', desc ? 'descending' : 'ascending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a.cells[index], numeric);
          var y = cellValue(b.cells[index], numeric);
          return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
        });
        rows.forEach(function (r) {
          body.appendChild(r);
        });
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          sort();
        }
      });
    });
  });

  // ---- live calls ---------------------------------------------------------------------------------
  var live = $('#live-calls[data-refresh]');
  if (live) {
    var url = live.getAttribute('data-refresh');
    var refresh = function () {
      fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then(function (res) {
          return res.ok ? res.json() : null;
        })
        .then(function (data) {
          if (!data) return;
          var body = live.tBodies[0];
          body.textContent = '';
          data.items.forEach(function (c) {
            var tr = document.createElement('tr');
            [c.receivedAt, c.phase, c.campaign, c.caller, c.trackingNumber, c.buyer].forEach(function (v) {
              var td = document.createElement('td');
              td.textContent = v == null ? '' : String(v);
              tr.appendChild(td);
            });
            body.appendChild(tr);
          });
          $('#live-count').textContent = String(data.items.length);
          $('#live-empty').hidden = data.items.length > 0;
        })
        .catch(function () {});
    };
    setInterval(refresh, 3000);
  }
})();
