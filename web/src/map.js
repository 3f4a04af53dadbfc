// The public map: initiatives from /collections/initiatives/items, clustered on the client with
// Supercluster and drawn with Leaflet, the same results as an accessible list, the details of one
// initiative, and a choropleth of /overviews/{regionType}. The filters live in the query string,
// under the names of the API's parameters, so that a view can be shared and reloaded.
//
// The page runs under a strict Content-Security-Policy: no inline scripts or style attributes.
// Everything from the API is put into the page as text (textContent), never as markup.
(function () {
  'use strict';

  var ITEMS = '/collections/initiatives/items';
  var PAGE_LIMIT = 10000; // the API's maximum
  var LIST_STEP = 200; // list entries added per "Meer tonen"
  var NL_BOUNDS = [[50.75, 3.36], [53.56, 7.23]];
  var MAX_ZOOM = 18; // with background tiles; without, nothing more is to be seen beyond 14
  var MAX_ZOOM_PLAIN = 14;
  var FIT_MAX_ZOOM = 11;
  var REGION_SIMPLIFY = '0.002';

  // Filters in the order they appear in the query string; the names are those of the API.
  var FILTERS = ['q', 'region', 'profiel', 'leerweg', 'niveau', 'route_kind'];
  var MULTI = { region: true, profiel: true, leerweg: true, niveau: true, route_kind: true };

  // The route kinds' codes in code-list order, from /codelists (set before anything is drawn).
  var KINDS = [];
  var CHOROPLETH_COLOURS = ['#f2f0f7', '#cbc9e2', '#9e9ac8', '#756bb1', '#54278f'];
  var NO_DATA_COLOUR = '#d9d9d9';
  var REGION_TYPES = ['provincie', 'arbeidsmarktregio', 'rmc', 'gemeente'];

  var numberFormat = new Intl.NumberFormat('nl-NL');
  var percentFormat = new Intl.NumberFormat('nl-NL', { style: 'percent', maximumFractionDigits: 0 });
  var dateFormat = new Intl.DateTimeFormat('nl-NL', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Amsterdam' });
  var collator = new Intl.Collator('nl', { sensitivity: 'base', numeric: true });

  var $ = function (id) { return document.getElementById(id); };

  var state = {
    filters: emptyFilters(),
    codelists: null,
    labels: null, // code lists as lookup tables
    regionNames: new Map(), // CBS code -> name
    regionGeo: new Map(), // region type -> Promise of a FeatureCollection
    features: [],
    byId: new Map(),
    total: 0,
    estimate: false,
    query: null, // the filter query of the results shown, once loaded
    index: null,
    generation: 0,
    controller: null,
    listShown: 0,
    selectedId: null,
    detailsGeneration: 0,
    detailsReturnFocus: null,
    choropleth: { type: '', measure: 'initiatives', generation: 0, layer: null },
    view: 'list',
    pendingFit: null,
    mapSized: false,
    moving: false,
    sorted: [],
    sortedFor: null,
  };

  var map, markerLayer, selectedLayer, choroplethRenderer;
  var readyResolve;
  var ready = new Promise(function (resolve) { readyResolve = resolve; });

  // ---------------------------------------------------------------- helpers

  function emptyFilters() {
    return { q: '', region: [], profiel: [], leerweg: [], niveau: [], route_kind: [] };
  }

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function plural(n, one, many) {
    return numberFormat.format(n) + ' ' + (n === 1 ? one : many);
  }

  function capitalise(s) {
    return s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
  }

  function kindOf(code) {
    // an unknown kind is drawn as the last one, other cooperation
    return KINDS.indexOf(code) >= 0 ? code : KINDS[KINDS.length - 1];
  }

  function kindLabel(code) {
    return (state.labels && state.labels.route_kind[code]) || code;
  }

  function formatDate(s) {
    if (!s) return null;
    var d = new Date(s.length === 10 ? s + 'T12:00:00Z' : s);
    return isNaN(d) ? s : dateFormat.format(d);
  }

  function setState(s) {
    document.body.dataset.state = s;
    $('map-busy').classList.toggle('is-visible', s === 'loading');
    $('resultaten').setAttribute('aria-busy', s === 'loading' ? 'true' : 'false');
  }

  function ApiError(status, problem) {
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
    this.message = 'HTTP ' + status;
  }

  // A same-origin path for a link of the API (whose links are absolute).
  function localPath(href) {
    var u = new URL(href, location.href);
    return u.pathname + u.search;
  }

  function getJson(path, signal) {
    return fetch(path, { headers: { Accept: 'application/geo+json, application/json' }, signal: signal })
      .then(function (res) {
        return res.text().then(function (text) {
          var body = null;
          try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
          if (!res.ok) throw new ApiError(res.status, body);
          if (body === null) throw new ApiError(res.status, null);
          return body;
        });
      });
  }

  // Every page of an items request, following the rel=next links.
  function getAllPages(path, signal, onPage) {
    var features = [];
    var first = null;
    var seen = new Set();
    function step(p) {
      seen.add(p);
      return getJson(p, signal).then(function (page) {
        if (!first) first = page;
        var fs = page.features || [];
        for (var i = 0; i < fs.length; i++) features.push(fs[i]);
        if (onPage) onPage(first, features.length);
        var next = (page.links || []).filter(function (l) { return l.rel === 'next'; })[0];
        if (next && fs.length > 0) {
          var np = localPath(next.href);
          if (!seen.has(np)) return step(np);
        }
        return { first: first, features: features };
      });
    }
    return step(path);
  }

  // ---------------------------------------------------------------- the query string

  function filterQuery(f) {
    var parts = [];
    FILTERS.forEach(function (name) {
      var v = f[name];
      if (MULTI[name]) {
        if (v.length) parts.push(name + '=' + v.map(encodeURIComponent).join(','));
      } else if (v) {
        parts.push(name + '=' + encodeURIComponent(v));
      }
    });
    return parts.join('&');
  }

  function readUrl() {
    var p = new URLSearchParams(location.search);
    var f = emptyFilters();
    FILTERS.forEach(function (name) {
      var v = p.get(name);
      if (v === null) return;
      if (MULTI[name]) {
        f[name] = v.split(',').map(function (s) { return s.trim(); }).filter(Boolean);
      } else {
        f[name] = v.trim().slice(0, 200);
      }
    });
    state.filters = f;
    var id = p.get('id');
    state.selectedId = id && /^[1-9][0-9]{0,15}$/.test(id) ? Number(id) : null;
    var ch = p.get('choropleth');
    state.choropleth.type = REGION_TYPES.indexOf(ch) >= 0 ? ch : '';
    state.choropleth.measure = p.get('measure') === 'share' ? 'share' : 'initiatives';
  }

  function writeUrl() {
    var parts = [filterQuery(state.filters)];
    if (state.selectedId) parts.push('id=' + state.selectedId);
    if (state.choropleth.type) {
      parts.push('choropleth=' + state.choropleth.type);
      if (state.choropleth.measure !== 'initiatives') parts.push('measure=' + state.choropleth.measure);
    }
    var qs = parts.filter(Boolean).join('&');
    history.replaceState(null, '', location.pathname + (qs ? '?' + qs : '') + location.hash);
  }

  // ---------------------------------------------------------------- controls

  function addOption(select, value, label, parent) {
    var o = el('option', null, label);
    o.value = value;
    (parent || select).appendChild(o);
    return o;
  }

  function buildControls(codelists) {
    var profielen = codelists.profielen.map(function (p) {
      return [p.code, p.label + (p.afkorting && p.afkorting !== p.label ? ' (' + p.afkorting + ')' : '')];
    });
    profielen.sort(function (a, b) { return collator.compare(a[1], b[1]); });
    profielen.forEach(function (p) { addOption($('filter-profiel'), p[0], p[1]); });

    codelists.leerwegen.forEach(function (l) {
      addOption($('filter-leerweg'), l.code, l.code + ' – ' + l.label);
    });

    var niveaus = $('filter-niveau-options');
    codelists.niveaus.filter(function (n) { return n.allowed_for_routes; }).forEach(function (n) {
      niveaus.appendChild(choice('niveau', String(n.niveau), 'Niveau ' + n.niveau, n.label));
    });

    var kinds = $('filter-route_kind-options');
    var key = $('kinds-key-list');
    codelists.route_kinds.forEach(function (k) {
      var c = choice('route_kind', k.code, k.label, null, kindOf(k.code));
      kinds.appendChild(c);
      var li = el('li', 'legend__class');
      li.appendChild(el('span', 'legend__dot kind--' + kindOf(k.code)));
      li.appendChild(el('span', 'legend__label', k.label));
      key.appendChild(li);
    });

    var ch = $('choropleth');
    codelists.region_types.forEach(function (t) {
      if (REGION_TYPES.indexOf(t.type) >= 0) addOption(ch, t.type, 'Per ' + t.label.toLowerCase().replace(/^rmc/, 'RMC'));
    });
  }

  // The regions to choose from, once their geometries (which carry the names) have arrived; a
  // region the select showed as an option of its own meanwhile is now shown with its name.
  function buildRegionOptions(amRegions, pvRegions) {
    var region = $('filter-region');
    Array.prototype.slice.call(region.querySelectorAll('option[data-extra]')).forEach(function (o) { o.remove(); });
    [['Arbeidsmarktregio', amRegions], ['Provincie', pvRegions]].forEach(function (group) {
      if (!group[1]) return;
      var og = el('optgroup');
      og.label = group[0];
      group[1].features
        .map(function (f) { return f.properties; })
        .sort(function (a, b) { return collator.compare(a.name, b.name); })
        .forEach(function (r) { addOption(region, r.code, r.name, og); });
      region.appendChild(og);
    });
    showSelect('region');
  }

  function choice(name, value, label, title, kind) {
    var id = 'filter-' + name + '-' + value;
    var wrap = el('div', 'choice');
    var input = el('input', 'choice__input');
    input.type = 'checkbox';
    input.id = id;
    input.name = name;
    input.value = value;
    var lab = el('label', 'choice__label');
    lab.htmlFor = id;
    if (kind) lab.appendChild(el('span', 'choice__dot kind--' + kind));
    lab.appendChild(document.createTextNode(label));
    if (title) lab.title = title;
    wrap.appendChild(input);
    wrap.appendChild(lab);
    return wrap;
  }

  // Shows the filters in the controls. A value a select does not offer (several values from a
  // shared link, or a region of another type) gets an option of its own.
  function showFilters() {
    var f = state.filters;
    $('filter-q').value = f.q;
    ['region', 'profiel', 'leerweg'].forEach(showSelect);
    ['niveau', 'route_kind'].forEach(function (name) {
      var boxes = document.querySelectorAll('input[name="' + name + '"]');
      Array.prototype.forEach.call(boxes, function (b) { b.checked = f[name].indexOf(b.value) >= 0; });
    });
    var active = FILTERS.filter(function (n) { return MULTI[n] ? f[n].length : f[n]; }).length;
    $('filters-active').textContent = active ? ' (' + active + ' actief)' : '';
  }

  function showSelect(name) {
    var select = $('filter-' + name);
    var values = state.filters[name];
    var value = values.join(',');
    Array.prototype.slice.call(select.querySelectorAll('option[data-extra]')).forEach(function (o) {
      if (o.value !== value) o.remove();
    });
    var exists = Array.prototype.some.call(select.options, function (o) { return o.value === value; });
    if (!exists) {
      var label = values.map(function (v) {
        if (name === 'region') return state.regionNames.get(v) || regionTypeLabel(v) + ' ' + v;
        var s = Array.prototype.filter.call(select.options, function (o) { return o.value === v; })[0];
        return s ? s.textContent : v;
      }).join(' of ');
      var o = addOption(select, value, label);
      o.dataset.extra = 'true';
    }
    select.value = value;
  }

  function regionTypeLabel(code) {
    var prefix = String(code).slice(0, 2);
    var type = (state.codelists.region_types || []).filter(function (t) { return t.prefix === prefix; })[0];
    return type ? type.label : 'Regio';
  }

  function readControls() {
    var f = emptyFilters();
    f.q = $('filter-q').value.trim().slice(0, 200);
    ['region', 'profiel', 'leerweg'].forEach(function (name) {
      var v = $('filter-' + name).value;
      f[name] = v ? v.split(',') : [];
    });
    ['niveau', 'route_kind'].forEach(function (name) {
      var boxes = document.querySelectorAll('input[name="' + name + '"]:checked');
      f[name] = Array.prototype.map.call(boxes, function (b) { return b.value; });
    });
    return f;
  }

  function applyFilters(f) {
    // a change that changes nothing (the same filters again) asks nothing new, unless it failed
    if (filterQuery(f) === filterQuery(state.filters) && document.body.dataset.state !== 'error') return;
    state.filters = f;
    showFilters();
    writeUrl();
    loadInitiatives({ fit: true });
  }

  var qTimer = null;

  function bindControls() {
    var form = $('filters');
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      clearTimeout(qTimer);
      applyFilters(readControls());
    });
    form.addEventListener('change', function (e) {
      if (e.target.id === 'filter-q') return;
      applyFilters(readControls());
    });
    $('filter-q').addEventListener('input', function () {
      clearTimeout(qTimer);
      qTimer = setTimeout(function () { applyFilters(readControls()); }, 400);
    });
    $('filters-reset').addEventListener('click', function () {
      clearTimeout(qTimer);
      applyFilters(emptyFilters());
    });
    $('filters-toggle').addEventListener('click', function () {
      var open = this.getAttribute('aria-expanded') !== 'true';
      this.setAttribute('aria-expanded', String(open));
      form.classList.toggle('is-open', open);
    });
    // On a phone the filters are closed behind their button; the skip link to them opens them
    // first, so that it leads somewhere.
    document.querySelector('.skip-link[href="#filters"]').addEventListener('click', function () {
      var toggle = $('filters-toggle');
      if (toggle.getClientRects().length && toggle.getAttribute('aria-expanded') !== 'true') toggle.click();
    });
    $('view-list').addEventListener('click', function () { setView('list'); });
    $('view-map').addEventListener('click', function () { setView('map'); });
    $('results-more-button').addEventListener('click', function () { renderList(true); });
    $('error-retry').addEventListener('click', function () {
      if (!state.labels) { location.reload(); return; }
      if (this.dataset.action === 'reset') applyFilters(emptyFilters());
      else loadInitiatives({ fit: false });
    });
    $('details-close').addEventListener('click', closeDetails);
    $('details').addEventListener('keydown', function (e) {
      if (e.key === 'Escape') { e.preventDefault(); closeDetails(); }
    });
    $('choropleth').addEventListener('change', function () {
      state.choropleth.type = this.value;
      writeUrl();
      showChoropleth();
    });
    $('measure').addEventListener('change', function () {
      state.choropleth.measure = this.value;
      writeUrl();
      showChoropleth();
    });
    $('results-list').addEventListener('click', function (e) {
      var b = e.target.closest('button[data-id]');
      if (b) openDetails(Number(b.dataset.id), { trigger: b, pan: true });
    });
  }

  // ---------------------------------------------------------------- narrow screens: list or map

  function setView(view) {
    state.view = view;
    var app = $('inhoud');
    app.classList.toggle('view-list', view === 'list');
    app.classList.toggle('view-map', view === 'map');
    $('view-list').setAttribute('aria-pressed', String(view === 'list'));
    $('view-map').setAttribute('aria-pressed', String(view === 'map'));
    if (view === 'map') {
      // on a phone the open filters would leave little of the map
      var toggle = $('filters-toggle');
      if (toggle.getAttribute('aria-expanded') === 'true') toggle.click();
      sizeMap();
    }
  }

  function mapVisible() {
    var c = map && map.getContainer();
    return !!(c && c.offsetWidth > 0 && c.offsetHeight > 0);
  }

  // Leaflet needs the map's size; a map created while hidden (the list view on a phone) gets it
  // when it is first shown, and only then its first view.
  function sizeMap() {
    if (!mapVisible()) return;
    map.invalidateSize({ pan: false });
    if (!state.mapSized) {
      state.mapSized = true;
      map.fitBounds(NL_BOUNDS, { reset: true });
    }
    if (state.pendingFit) {
      var fit = state.pendingFit;
      state.pendingFit = null;
      fit();
    }
    renderMarkers();
  }

  // ---------------------------------------------------------------- the map

  function createMap() {
    var bg = document.querySelector('meta[name="routekaart-background"]');
    var template = bg && bg.content.trim();
    var tiles = !!template && /^https?:\/\/[^/]+\//.test(template);
    map = L.map('map', {
      minZoom: 6,
      maxZoom: tiles ? MAX_ZOOM : MAX_ZOOM_PLAIN,
      zoomSnap: 0.5,
      maxBounds: [[49.5, 1.0], [54.8, 9.8]],
      maxBoundsViscosity: 0.8,
      attributionControl: true,
    });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    map.attributionControl.addAttribution('Grenzen: CBS, PDOK (CC BY 4.0)');
    map.attributionControl.addAttribution('Postcodes: GeoNames (CC BY 4.0)');

    map.createPane('base').style.zIndex = 250;
    map.createPane('choropleth').style.zIndex = 350;
    map.createPane('labels').style.zIndex = 450;
    map.getPane('labels').style.pointerEvents = 'none';
    map.createPane('selected').style.zIndex = 650;
    map.getPane('selected').style.pointerEvents = 'none';
    choroplethRenderer = L.svg({ pane: 'choropleth' });

    if (tiles) {
      L.tileLayer(template, {
        maxZoom: MAX_ZOOM,
        attribution: 'Achtergrondkaart: ' + new URL(template.replace(/[{}]/g, '')).host,
      }).addTo(map);
      map.getContainer().classList.add('has-tiles');
    }

    markerLayer = L.layerGroup().addTo(map);
    selectedLayer = L.layerGroup().addTo(map);

    if (mapVisible()) {
      state.mapSized = true;
      map.fitBounds(NL_BOUNDS);
    } else {
      map.setView([52.2, 5.3], 7);
    }
    map.on('movestart zoomstart', function () { state.moving = true; });
    map.on('moveend', function () { state.moving = false; });
    map.on('moveend', renderMarkers);
    map.on('zoomend', zoomClasses);
    zoomClasses();
    window.addEventListener('resize', function () { if (mapVisible()) sizeMap(); });
  }

  function zoomClasses() {
    var z = map.getZoom();
    var c = map.getContainer();
    c.classList.toggle('zoom-national', z < 9);
    c.classList.toggle('zoom-local', z >= 10);
  }

  // The base map without background tiles: the provincies as land, the gemeenten as thin lines,
  // and their names at the zooms where they help.
  function drawBaseMap(pv, gm) {
    var tiles = map.getContainer().classList.contains('has-tiles');
    var renderer = L.svg({ pane: 'base' });
    if (gm) {
      L.geoJSON(gm, {
        pane: 'base', renderer: renderer, interactive: false,
        style: { className: 'base-gemeente', weight: 0.6, color: '#c3c9d1', fill: !tiles, fillColor: '#fbfbf9', fillOpacity: 1 },
      }).addTo(map);
      labels(gm, 'place-label place-label--gemeente');
    }
    if (pv) {
      L.geoJSON(pv, {
        pane: 'base', renderer: renderer, interactive: false,
        style: { className: 'base-provincie', weight: 1.4, color: '#8d99a8', fill: false },
      }).addTo(map);
      labels(pv, 'place-label place-label--provincie');
    }
  }

  function labels(fc, className) {
    var group = L.layerGroup();
    fc.features.forEach(function (f) {
      var at = labelPoint(f.geometry);
      if (!at) return;
      L.marker(at, {
        pane: 'labels', interactive: false, keyboard: false,
        icon: L.divIcon({ className: className, html: el('span', null, f.properties.name), iconSize: null }),
      }).addTo(group);
    });
    group.addTo(map);
  }

  // A point for a region's name: the centroid of its largest ring.
  function labelPoint(geom) {
    if (!geom) return null;
    var polys = geom.type === 'MultiPolygon' ? geom.coordinates : geom.type === 'Polygon' ? [geom.coordinates] : [];
    var best = null;
    polys.forEach(function (poly) {
      var ring = poly[0];
      var a = 0, cx = 0, cy = 0;
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var cross = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
        a += cross;
        cx += (ring[j][0] + ring[i][0]) * cross;
        cy += (ring[j][1] + ring[i][1]) * cross;
      }
      if (a !== 0 && (!best || Math.abs(a) > best.area)) {
        best = { area: Math.abs(a), lat: cy / (3 * a), lng: cx / (3 * a) };
      }
    });
    return best ? [best.lat, best.lng] : null;
  }

  function buildIndex() {
    var index = new Supercluster({
      radius: 64,
      maxZoom: map.getMaxZoom(),
      map: function (p) {
        var c = {};
        KINDS.forEach(function (k, i) { c['c' + i] = k === kindOf(p.kind) ? 1 : 0; });
        return c;
      },
      reduce: function (acc, p) {
        KINDS.forEach(function (k, i) { acc['c' + i] += p['c' + i]; });
      },
    });
    var points = [];
    state.features.forEach(function (f) {
      if (!f.geometry || f.geometry.type !== 'Point') return;
      points.push({ type: 'Feature', geometry: f.geometry, properties: { id: f.id, kind: f.properties.route_kind } });
    });
    index.load(points);
    state.index = index;
  }

  function clusterIcon(props) {
    var n = props.point_count;
    var size = n < 10 ? 32 : n < 100 ? 38 : n < 1000 ? 46 : 54;
    var r = 15.5;
    var circ = 2 * Math.PI * r;
    var offset = 0;
    var arcs = '';
    var counts = KINDS.map(function (k, i) { return props['c' + i]; });
    counts.forEach(function (c, i) {
      if (!c) return;
      var len = (c / n) * circ;
      arcs += '<circle class="cluster__arc kind--' + KINDS[i] + '" cx="20" cy="20" r="' + r +
        '" fill="none" stroke-width="7" stroke-dasharray="' + len.toFixed(2) + ' ' + (circ - len).toFixed(2) +
        '" stroke-dashoffset="' + (-offset).toFixed(2) + '" transform="rotate(-90 20 20)"/>';
      offset += len;
    });
    var html = '<svg class="cluster__ring" viewBox="0 0 40 40" width="' + size + '" height="' + size +
      '" aria-hidden="true" focusable="false"><circle cx="20" cy="20" r="19.5" fill="#ffffff"/>' + arcs +
      '<circle cx="20" cy="20" r="11.5" fill="#ffffff"/></svg><span class="cluster__count">' +
      numberFormat.format(n) + '</span>';
    return L.divIcon({ className: 'cluster', html: html, iconSize: [size, size] });
  }

  function pinIcon(kind, selected) {
    var html = '<svg viewBox="0 0 26 34" width="26" height="34" aria-hidden="true" focusable="false">' +
      '<path class="pin__shape" d="M13 1C6.4 1 1 6.3 1 12.8 1 21.7 13 33 13 33s12-11.3 12-20.2C25 6.3 19.6 1 13 1z"/>' +
      '<circle class="pin__hole" cx="13" cy="12.8" r="4.6"/></svg>';
    return L.divIcon({
      className: 'pin kind--' + kindOf(kind) + (selected ? ' pin--selected' : ''),
      html: html,
      iconSize: [26, 34],
      iconAnchor: [13, 33],
    });
  }

  // Markers are kept from one render to the next while they stay the same, so that a focused
  // marker keeps its focus while the map pans.
  var shown = new Map(); // key -> marker

  function activate(marker, handler) {
    marker.on('click', handler);
    marker.on('keydown', function (e) {
      var k = e.originalEvent.key;
      if (k === 'Enter' || k === ' ') {
        L.DomEvent.preventDefault(e.originalEvent);
        handler();
      }
    });
  }

  function renderMarkers() {
    if (!map || !mapVisible()) return;
    if (!state.index) {
      markerLayer.clearLayers();
      shown.clear();
      return;
    }
    var b = map.getBounds().pad(0.3);
    var bbox = [
      Math.max(-180, b.getWest()), Math.max(-85, b.getSouth()),
      Math.min(180, b.getEast()), Math.min(85, b.getNorth()),
    ];
    var zoom = clusterZoom();
    var next = new Map();
    var index = state.index;
    index.getClusters(bbox, zoom).forEach(function (f) {
      var p = f.properties;
      var key = p.cluster ? 'c' + p.cluster_id + ':' + p.point_count : 'p' + p.id;
      var m = shown.get(key);
      if (m && m.options.index === index) {
        next.set(key, m);
        return;
      }
      if (m) {
        markerLayer.removeLayer(m);
        shown.delete(key);
      }
      var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      if (p.cluster) {
        m = L.marker(ll, {
          icon: clusterIcon(p),
          title: plural(p.point_count, 'initiatief', 'initiatieven') + ': inzoomen',
          riseOnHover: true,
          index: index,
        });
        activate(m, function () { openCluster(p.cluster_id, ll); });
      } else {
        var feature = state.byId.get(p.id);
        m = L.marker(ll, {
          icon: pinIcon(p.kind),
          title: feature ? feature.properties.name : 'Initiatief ' + p.id,
          riseOnHover: true,
          index: index,
        });
        activate(m, function () { openDetails(p.id, { trigger: m.getElement(), pan: false }); });
      }
      m.addTo(markerLayer);
      var e = m.getElement();
      if (e) {
        e.dataset.testid = p.cluster ? 'cluster' : 'marker';
        e.dataset.count = String(p.cluster ? p.point_count : 1);
        if (!p.cluster) e.dataset.id = String(p.id);
      }
      next.set(key, m);
    });
    shown.forEach(function (m, key) {
      if (!next.has(key)) markerLayer.removeLayer(m);
    });
    shown = next;
  }

  // A click on a cluster zooms in to where it falls apart; initiatives at one and the same place
  // never fall apart, so those are listed in a popup instead.
  function openCluster(clusterId, ll) {
    var zoom = state.index.getClusterExpansionZoom(clusterId);
    if (zoom <= map.getMaxZoom() && zoom > map.getZoom()) {
      // the cluster is gone after the zoom: the keyboard goes on from the map itself
      map.getContainer().focus({ preventScroll: true });
      map.flyTo(ll, zoom, { duration: 0.4 });
      return;
    }
    var leaves = state.index.getLeaves(clusterId, Infinity);
    var box = el('div', 'cluster-popup');
    box.appendChild(el('p', 'cluster-popup__title', plural(leaves.length, 'initiatief', 'initiatieven') + ' op deze plek'));
    var ul = el('ul', 'cluster-popup__list');
    leaves.forEach(function (leaf) {
      var f = state.byId.get(leaf.properties.id);
      var li = el('li');
      var b = el('button', 'cluster-popup__item');
      b.type = 'button';
      b.appendChild(el('span', 'choice__dot kind--' + kindOf(leaf.properties.kind)));
      b.appendChild(document.createTextNode(f ? f.properties.name : 'Initiatief ' + leaf.properties.id));
      b.addEventListener('click', function () {
        map.closePopup();
        openDetails(leaf.properties.id, { pan: false });
      });
      li.appendChild(b);
      ul.appendChild(li);
    });
    box.appendChild(ul);
    L.popup({ maxWidth: 320, autoPanPadding: [20, 20] }).setLatLng(ll).setContent(box).openOn(map);
    var first = box.querySelector('button');
    if (first) first.focus();
  }

  // The map zooms in half steps; the clusters are those of the whole zoom level below.
  function clusterZoom() {
    return Math.floor(map.getZoom());
  }

  function clusterSum() {
    if (!state.index || !map) return 0;
    return state.index.getClusters([-180, -85, 180, 85], clusterZoom()).reduce(function (s, f) {
      return s + (f.properties.cluster ? f.properties.point_count : 1);
    }, 0);
  }

  function fitToResults() {
    var fit = function () {
      var pts = state.features.filter(function (f) { return f.geometry && f.geometry.type === 'Point'; });
      if (!pts.length || !hasFilters()) {
        map.fitBounds(NL_BOUNDS, { reset: true });
        return;
      }
      var bounds = L.latLngBounds(pts.map(function (f) { return [f.geometry.coordinates[1], f.geometry.coordinates[0]]; }));
      map.fitBounds(bounds, { maxZoom: FIT_MAX_ZOOM, padding: [40, 40], reset: true });
    };
    if (mapVisible()) fit();
    else state.pendingFit = fit;
  }

  function hasFilters() {
    return filterQuery(state.filters) !== '';
  }

  // ---------------------------------------------------------------- loading the initiatives

  function loadInitiatives(opts) {
    var generation = ++state.generation;
    if (state.controller) state.controller.abort();
    var controller = new AbortController();
    state.controller = controller;
    var query = filterQuery(state.filters);
    setState('loading');
    hideError();
    var path = ITEMS + '?' + (query ? query + '&' : '') + 'limit=' + PAGE_LIMIT;
    return getAllPages(path, controller.signal, function (first, loaded) {
      if (generation !== state.generation) return;
      if (loaded < first.numberMatched) {
        $('count').textContent = plural(first.numberMatched, 'initiatief', 'initiatieven') +
          ' (' + numberFormat.format(loaded) + ' geladen…)';
      }
    }).then(function (res) {
      if (generation !== state.generation) return;
      state.controller = null;
      state.features = res.features;
      state.byId = new Map(res.features.map(function (f) { return [f.id, f]; }));
      state.total = res.first.numberMatched;
      state.estimate = !!res.first.numberMatchedIsEstimate;
      state.query = query;
      buildIndex();
      showCount();
      renderList(false);
      if (opts && opts.fit) fitToResults();
      renderMarkers();
      setState('ready');
      readyResolve();
    }).catch(function (err) {
      if (generation !== state.generation || (err && err.name === 'AbortError')) return;
      state.controller = null;
      showError(err);
    });
  }

  function showCount() {
    var text = plural(state.total, 'initiatief', 'initiatieven');
    $('count').textContent = (state.estimate ? 'ongeveer ' : '') + text;
  }

  function showError(err) {
    var text;
    var invalid = err instanceof ApiError && err.status === 400 && state.labels;
    $('error-retry').textContent = invalid ? 'Alle filters wissen' : 'Opnieuw proberen';
    $('error-retry').dataset.action = invalid ? 'reset' : 'retry';
    if (invalid && err.problem && Array.isArray(err.problem.errors)) {
      var names = err.problem.errors.map(function (e) { return e.parameter; }).filter(Boolean);
      text = 'De kaart kan deze zoekopdracht niet tonen: de filters bevatten een ongeldige waarde' +
        (names.length ? ' (' + names.join(', ') + ')' : '') + '. Wis de filters of kies andere.';
    } else if (invalid) {
      text = 'De kaart kan deze zoekopdracht niet tonen. Wis de filters of kies andere.';
    } else if (err instanceof ApiError && (err.status === 503 || err.status === 429)) {
      text = 'De gegevens zijn op dit moment niet beschikbaar. Probeer het over enkele minuten opnieuw.';
    } else {
      text = 'De initiatieven konden niet worden geladen. Controleer de internetverbinding en probeer het opnieuw.';
    }
    $('error-text').textContent = text;
    $('error').hidden = false;
    $('count').textContent = 'Geen gegevens';
    // no results of earlier filters beside a message that these could not be loaded
    state.features = [];
    state.byId = new Map();
    state.index = null;
    state.query = null;
    state.total = 0;
    renderList(false);
    $('results-empty').hidden = true;
    renderMarkers();
    setState('error');
  }

  function hideError() {
    $('error').hidden = true;
  }

  // ---------------------------------------------------------------- the list

  function sortedFeatures() {
    if (state.sortedFor !== state.features) {
      state.sorted = state.features.slice().sort(function (a, b) {
        return collator.compare(a.properties.name || '', b.properties.name || '') || a.id - b.id;
      });
      state.sortedFor = state.features;
    }
    return state.sorted;
  }

  function renderList(more) {
    var list = $('results-list');
    var all = sortedFeatures();
    var from = more ? state.listShown : 0;
    if (!more) list.textContent = '';
    var to = Math.min(all.length, from + LIST_STEP);
    var frag = document.createDocumentFragment();
    for (var i = from; i < to; i++) frag.appendChild(listItem(all[i]));
    list.appendChild(frag);
    state.listShown = to;
    $('results-empty').hidden = all.length > 0;
    $('results-more').hidden = to >= all.length;
    $('results-shown').textContent = numberFormat.format(to) + ' van ' + numberFormat.format(all.length) + ' getoond';
    if (more && list.children[from]) list.children[from].querySelector('button').focus();
  }

  function listItem(f) {
    var p = f.properties;
    var li = el('li', 'result');
    var b = el('button', 'result__button');
    b.type = 'button';
    b.dataset.testid = 'result-item';
    b.dataset.id = String(f.id);
    if (f.id === state.selectedId) b.setAttribute('aria-current', 'true');
    b.appendChild(el('span', 'result__dot kind--' + kindOf(p.route_kind)));
    var text = el('span', 'result__text');
    text.appendChild(el('span', 'result__name', p.name));
    text.appendChild(el('span', 'result__meta', [p.place, kindLabel(p.route_kind)].filter(Boolean).join(' · ')));
    b.appendChild(text);
    li.appendChild(b);
    return li;
  }

  function markCurrent() {
    Array.prototype.forEach.call(document.querySelectorAll('#results-list button[aria-current]'), function (b) {
      b.removeAttribute('aria-current');
    });
    if (state.selectedId) {
      var b = document.querySelector('#results-list button[data-id="' + state.selectedId + '"]');
      if (b) b.setAttribute('aria-current', 'true');
    }
  }

  // ---------------------------------------------------------------- details of one initiative

  function openDetails(id, opts) {
    opts = opts || {};
    var generation = ++state.detailsGeneration;
    var panel = $('details');
    state.detailsReturnFocus = opts.trigger || null;
    state.selectedId = id;
    writeUrl();
    markCurrent();
    var known = state.byId.get(id);
    panel.dataset.id = String(id);
    panel.dataset.state = 'loading';
    panel.hidden = false;
    $('inhoud').classList.add('has-details');
    $('details-name').textContent = known ? known.properties.name : 'Initiatief laden…';
    $('details-place').textContent = known && known.properties.place ? known.properties.place : '';
    setKind(known ? known.properties.route_kind : null);
    $('details-content').textContent = '';
    $('details-content').appendChild(el('p', 'details__loading', 'Gegevens laden…'));
    if (!opts.noFocus) $('details-name').focus();
    highlight(known);
    if (known && known.geometry) reveal([known.geometry.coordinates[1], known.geometry.coordinates[0]], opts.pan);
    getJson(ITEMS + '/' + encodeURIComponent(id)).then(function (f) {
      if (generation !== state.detailsGeneration) return;
      renderDetails(f);
      highlight(f);
      if (!known && f.geometry) reveal([f.geometry.coordinates[1], f.geometry.coordinates[0]], false);
      panel.dataset.state = 'ready';
    }).catch(function (err) {
      if (generation !== state.detailsGeneration) return;
      $('details-content').textContent = '';
      $('details-name').textContent = err instanceof ApiError && err.status === 404
        ? 'Initiatief niet gevonden' : 'Initiatief niet beschikbaar';
      $('details-content').appendChild(el('p', 'alert alert--error', err instanceof ApiError && err.status === 404
        ? 'Dit initiatief staat niet (meer) op de kaart.'
        : 'De gegevens van dit initiatief konden niet worden geladen. Probeer het later opnieuw.'));
      panel.dataset.state = 'error';
    });
  }

  // Brings a point into the part of the map the details panel leaves free; zoomed in to it when
  // asked (a choice from the list), else only as far as needed.
  function reveal(ll, zoomIn) {
    if (!mapVisible()) return;
    var panel = $('details');
    var covered = panel.hidden || panel.offsetWidth >= map.getContainer().offsetWidth ? 0 : panel.offsetWidth;
    if (zoomIn && map.getZoom() < 13) {
      map.setView(ll, 13, { reset: true });
      if (covered) map.panBy([covered / 2, 0], { animate: false });
    } else {
      map.panInside(ll, { paddingTopLeft: [60, 60], paddingBottomRight: [covered + 60, 60] });
    }
  }

  function closeDetails() {
    state.detailsGeneration++;
    state.selectedId = null;
    var panel = $('details');
    panel.hidden = true;
    delete panel.dataset.id;
    delete panel.dataset.state;
    $('inhoud').classList.remove('has-details');
    writeUrl();
    markCurrent();
    selectedLayer.clearLayers();
    // Back to what opened the details, unless it is gone or out of view (the list, on a phone
    // where "Toon op de kaart" has just switched to the map).
    var back = state.detailsReturnFocus;
    state.detailsReturnFocus = null;
    if (back && document.body.contains(back) && back.getClientRects().length) back.focus();
    else if (state.view === 'map' && mapVisible()) map.getContainer().focus();
    else $('resultaten').focus();
  }

  function setKind(kind) {
    var k = $('details-kind');
    k.textContent = '';
    if (!kind) return;
    k.appendChild(el('span', 'details__dot kind--' + kindOf(kind)));
    k.appendChild(document.createTextNode(kindLabel(kind)));
  }

  function highlight(f) {
    if (!selectedLayer) return;
    selectedLayer.clearLayers();
    if (!f || !f.geometry || f.geometry.type !== 'Point') return;
    L.marker([f.geometry.coordinates[1], f.geometry.coordinates[0]], {
      pane: 'selected', interactive: false, keyboard: false,
      icon: pinIcon((f.properties || {}).route_kind, true),
    }).addTo(selectedLayer);
  }

  function section(title) {
    var s = el('section', 'details__section');
    s.appendChild(el('h3', 'details__heading', title));
    return s;
  }

  function defList(rows) {
    var dl = el('dl', 'details__facts');
    rows.forEach(function (r) {
      if (r[1] === null || r[1] === undefined || r[1] === '' || (Array.isArray(r[1]) && !r[1].length)) return;
      dl.appendChild(el('dt', null, r[0]));
      var dd = el('dd');
      if (r[1] instanceof Node) dd.appendChild(r[1]);
      else dd.textContent = Array.isArray(r[1]) ? r[1].join(', ') : String(r[1]);
      dl.appendChild(dd);
    });
    return dl;
  }

  function yesNo(v) {
    return v === true ? 'ja' : v === false ? 'nee' : 'onbekend';
  }

  function safeUrl(u) {
    try {
      var url = new URL(u);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function link(href, text) {
    var a = el('a', null, text);
    a.href = href;
    return a;
  }

  function renderDetails(f) {
    var p = f.properties || {};
    var labels = state.labels;
    $('details-name').textContent = p.name || 'Initiatief ' + f.id;
    $('details-place').textContent = p.place || '';
    setKind(p.route_kind);
    var c = $('details-content');
    c.textContent = '';

    if (p.description) c.appendChild(el('p', 'details__description', p.description));

    var route = section('De route');
    route.appendChild(defList([
      ['Soort route', kindLabel(p.route_kind)],
      ['Niveau (mbo)', (p.niveaus || []).map(function (n) {
        return 'niveau ' + n + (labels.niveau[n] ? ' (' + labels.niveau[n].toLowerCase() + ')' : '');
      })],
      ['Profiel (vmbo)', (p.profielen || []).map(function (x) { return labels.profiel[x] || x; })],
      ['Leerweg (vmbo)', (p.leerwegen || []).map(function (x) { return labels.leerweg[x] || x; })],
      ['Opleidingsdomein (mbo)', (p.opleidingsdomeinen || []).map(function (x) { return labels.domein[x] || x; })],
      ['Crebo', p.crebo || []],
      ['Gestart', p.start_year ? 'schooljaar ' + p.start_year + '-' + (p.start_year + 1) : null],
    ]));
    c.appendChild(route);

    var parties = p.parties || [];
    if (parties.length) {
      var ps = section('Samenwerkende partijen');
      [['vo', 'Vmbo-scholen'], ['mbo', 'Mbo-instellingen'], ['company', 'Bedrijven'], ['other', 'Andere organisaties']].forEach(function (g) {
        var group = parties.filter(function (x) { return x.kind === g[0]; });
        if (!group.length) return;
        ps.appendChild(el('h4', 'details__subheading', g[1]));
        var ul = el('ul', 'details__parties');
        group.forEach(function (x) {
          var li = el('li');
          li.appendChild(el('span', 'details__party', x.name));
          var meta = [];
          if (x.role && ['vo', 'mbo', 'bedrijf', 'company', 'other', 'overig', 'partner'].indexOf(x.role) < 0) meta.push(x.role);
          if (x.place) meta.push(x.place);
          if (meta.length) li.appendChild(el('span', 'details__party-meta', meta.join(' · ')));
          ul.appendChild(li);
        });
        ps.appendChild(ul);
      });
      c.appendChild(ps);
    }

    var where = section('Locatie');
    var regionRows = [['Plaats', p.place]];
    (p.regions || []).slice().sort(function (a, b) {
      return REGION_TYPES.indexOf(a.type) - REGION_TYPES.indexOf(b.type);
    }).forEach(function (r) {
      regionRows.push([labels.region_type[r.type] || r.type, r.name]);
    });
    where.appendChild(defList(regionRows));
    c.appendChild(where);

    var cond = p.conditions;
    if (cond) {
      var cs = section('Afspraken');
      var topics = null;
      if ((cond.agreement_topics || []).length) {
        topics = el('ul', 'details__topics');
        cond.agreement_topics.forEach(function (t) {
          topics.appendChild(el('li', null, labels.agreement[t] || capitalise(t.replace(/_/g, ' '))));
        });
      }
      cs.appendChild(defList([
        ['Samenwerkings\u00adovereenkomst', cond.agreement_signed_on ? 'ondertekend op ' + formatDate(cond.agreement_signed_on) : 'niet (of nog niet) ondertekend'],
        ['Afspraken over', topics],
        ['Geregistreerd in RIO (DUO)', yesNo(cond.rio_registered)],
        ['Gecombineerd PTA en OER', yesNo(cond.combined_pta_oer)],
        ['Garantie dat een gestart cohort de route kan afmaken', yesNo(cond.cohort_guarantee)],
      ]));
      c.appendChild(cs);
    }

    var contact = section('Contact');
    var rows = [];
    if (p.mailbox && /^[^\s@:/]+@[^\s@:/]+$/.test(p.mailbox)) rows.push(['E-mail', link('mailto:' + p.mailbox, p.mailbox)]);
    var web = p.website && safeUrl(p.website);
    if (web) rows.push(['Website', link(web, p.website.replace(/^https?:\/\//, '').replace(/\/$/, ''))]);
    if (rows.length) contact.appendChild(defList(rows));
    var people = p.contacts || [];
    if (people.length) {
      contact.appendChild(el('h4', 'details__subheading', people.length === 1 ? 'Contactpersoon' : 'Contactpersonen'));
      var ul = el('ul', 'details__people');
      people.forEach(function (x) {
        var li = el('li');
        li.appendChild(el('span', 'details__party', x.name));
        if (x.function) li.appendChild(el('span', 'details__party-meta', x.function));
        ul.appendChild(li);
      });
      contact.appendChild(ul);
    }
    if (!rows.length && !people.length) contact.appendChild(el('p', null, 'Er zijn geen openbare contactgegevens.'));
    c.appendChild(contact);

    var actions = el('div', 'details__actions');
    var show = el('button', 'button button--secondary', 'Toon op de kaart');
    show.type = 'button';
    show.addEventListener('click', function () {
      setView('map');
      if (mapVisible() && f.geometry) map.setView([f.geometry.coordinates[1], f.geometry.coordinates[0]], Math.max(map.getZoom(), 14));
      if (window.matchMedia('(max-width: 759px)').matches) closeDetails();
    });
    if (f.geometry) actions.appendChild(show);
    c.appendChild(actions);

    var meta = [];
    if (p.published_at) meta.push('Gepubliceerd op ' + formatDate(p.published_at));
    if (p.updated_at && p.updated_at !== p.published_at) meta.push('laatst gewijzigd op ' + formatDate(p.updated_at));
    if (meta.length) c.appendChild(el('p', 'details__meta', meta.join(', ') + '.'));
  }

  // ---------------------------------------------------------------- regions and the choropleth

  function regionGeometry(type) {
    if (!state.regionGeo.has(type)) {
      var path = '/collections/regions-' + type + '/items?simplify=' + REGION_SIMPLIFY + '&limit=1000';
      var p = getAllPages(path).then(function (res) {
        res.features.forEach(function (f) { state.regionNames.set(f.properties.code, f.properties.name); });
        return { type: 'FeatureCollection', features: res.features };
      });
      p.catch(function () { state.regionGeo.delete(type); });
      state.regionGeo.set(type, p);
    }
    return state.regionGeo.get(type);
  }

  var overviews = new Map();
  function overview(type) {
    if (!overviews.has(type)) {
      var p = getJson('/overviews/' + type);
      p.catch(function () { overviews.delete(type); });
      overviews.set(type, p);
    }
    return overviews.get(type);
  }

  function measureOf(region, measure) {
    if (!region) return null;
    if (measure === 'share') return typeof region.vmbo_participation_share === 'number' ? region.vmbo_participation_share : null;
    return typeof region.initiatives === 'number' ? region.initiatives : null;
  }

  function quantile(sorted, q) {
    var pos = (sorted.length - 1) * q;
    var lo = Math.floor(pos);
    var hi = Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }

  // Classes of equal numbers of regions (quantiles), on round bounds: for counts a class of its
  // own for 0 and whole-number ranges, for shares whole percentages.
  function classify(values, measure) {
    var present = values.filter(function (v) { return v !== null; }).sort(function (a, b) { return a - b; });
    var classes = [];
    if (!present.length) return classes;
    if (measure === 'share') {
      var uppers = [];
      [0.2, 0.4, 0.6, 0.8].forEach(function (q) {
        var u = Math.round(quantile(present, q) * 100) / 100;
        if (uppers.indexOf(u) < 0 && u < present[present.length - 1]) uppers.push(u);
      });
      uppers.push(Math.max(present[present.length - 1], uppers.length ? uppers[uppers.length - 1] : 0));
      var lower = null;
      uppers.forEach(function (u, i) {
        var label = i === 0 ? 't/m ' + percentFormat.format(u)
          : i === uppers.length - 1 ? 'meer dan ' + percentFormat.format(lower)
            : percentFormat.format(lower).replace(/\s?%$/, '') + '–' + percentFormat.format(u);
        if (uppers.length === 1) label = percentFormat.format(u);
        classes.push({ upper: u, label: label });
        lower = u;
      });
    } else {
      var positive = present.filter(function (v) { return v > 0; });
      if (present[0] === 0) classes.push({ upper: 0, label: '0' });
      if (positive.length) {
        var bounds = [];
        [0.25, 0.5, 0.75].forEach(function (q) {
          var u = Math.round(quantile(positive, q));
          if (u >= positive[0] && bounds.indexOf(u) < 0 && u < positive[positive.length - 1]) bounds.push(u);
        });
        bounds.push(positive[positive.length - 1]);
        var from = Math.max(1, positive[0]);
        bounds.forEach(function (u) {
          classes.push({ upper: u, label: from === u ? numberFormat.format(u) : numberFormat.format(from) + '–' + numberFormat.format(u) });
          from = u + 1;
        });
      }
    }
    // colours from light to dark, spread over the ramp
    var ramp = CHOROPLETH_COLOURS;
    classes.forEach(function (c, i) {
      var at = classes.length === 1 ? ramp.length - 1 : Math.round((i * (ramp.length - 1)) / (classes.length - 1));
      c.colour = ramp[at];
    });
    return classes;
  }

  function classOf(classes, v) {
    if (v === null) return null;
    for (var i = 0; i < classes.length; i++) if (v <= classes[i].upper + 1e-9) return classes[i];
    return classes[classes.length - 1];
  }

  function describe(region, measure) {
    if (!region) return 'geen gegevens';
    if (measure === 'share') {
      if (region.vmbo_participation_share === null) return 'geen vmbo-vestigingen';
      return percentFormat.format(region.vmbo_participation_share) + ' van de vmbo-vestigingen doet mee (' +
        numberFormat.format(region.vmbo_locations_participating) + ' van ' + numberFormat.format(region.vmbo_locations) + ')';
    }
    return plural(region.initiatives, 'initiatief', 'initiatieven');
  }

  function showChoropleth() {
    var ch = state.choropleth;
    var generation = ++ch.generation;
    var legend = $('legend');
    $('choropleth').value = ch.type;
    $('measure').value = ch.measure;
    $('measure-field').hidden = !ch.type;
    if (ch.layer) {
      map.removeLayer(ch.layer);
      ch.layer = null;
    }
    if (!ch.type) {
      legend.hidden = true;
      delete legend.dataset.state;
      return Promise.resolve();
    }
    var typeLabel = state.labels.region_type[ch.type] || ch.type;
    legend.hidden = false;
    legend.dataset.state = 'loading';
    $('legend-title').textContent = typeLabel + ': laden…';
    $('legend-classes').textContent = '';
    $('legend-note').textContent = '';
    $('legend-region').textContent = '';
    return Promise.all([regionGeometry(ch.type), overview(ch.type)]).then(function (res) {
      if (generation !== ch.generation) return;
      var geo = res[0];
      var doc = res[1];
      var byCode = new Map((doc.regions || []).map(function (r) { return [r.code, r]; }));
      var measure = ch.measure;
      var classes = classify(geo.features.map(function (f) { return measureOf(byCode.get(f.properties.code), measure); }), measure);
      var hasNoData = false;
      ch.layer = L.geoJSON(geo, {
        pane: 'choropleth',
        renderer: choroplethRenderer,
        style: function (f) {
          var c = classOf(classes, measureOf(byCode.get(f.properties.code), measure));
          if (!c) hasNoData = true;
          return {
            className: 'region region--' + ch.type,
            color: '#ffffff', weight: ch.type === 'gemeente' ? 0.6 : 1.2, opacity: 1,
            fillColor: c ? c.colour : NO_DATA_COLOUR, fillOpacity: 0.78,
          };
        },
        onEachFeature: function (f, layer) {
          var r = byCode.get(f.properties.code);
          var name = (r && r.name) || f.properties.name;
          layer.bindTooltip(function () { return el('span', null, name + ': ' + describe(r, measure)); }, { sticky: true, className: 'region-tooltip' });
          layer.on('click', function () { showRegion(f.properties.code, name, r, measure); });
          layer.on('mouseover', function () { layer.setStyle({ weight: 2.5, color: '#154273' }); layer.bringToFront(); });
          layer.on('mouseout', function () { ch.layer && ch.layer.resetStyle(layer); });
          layer.on('add', function () {
            var p = layer.getElement && layer.getElement();
            if (p) p.setAttribute('data-code', f.properties.code);
          });
        },
      }).addTo(map);
      $('legend-title').textContent = (measure === 'share' ? 'Aandeel deelnemende vmbo-vestigingen per ' : 'Initiatieven per ') +
        typeLabel.toLowerCase().replace(/^rmc/, 'RMC');
      var ul = $('legend-classes');
      classes.concat(hasNoData ? [{ colour: NO_DATA_COLOUR, label: measure === 'share' ? 'geen vmbo-vestigingen' : 'geen gegevens' }] : [])
        .forEach(function (c) {
          var li = el('li', 'legend__class');
          var sw = el('span', 'legend__swatch');
          sw.style.backgroundColor = c.colour;
          sw.dataset.colour = c.colour;
          li.appendChild(sw);
          li.appendChild(el('span', 'legend__label', c.label));
          ul.appendChild(li);
        });
      $('legend-note').textContent = 'Alle gepubliceerde initiatieven op ' + formatDate(doc.as_of) +
        '; de filters gelden hier niet. Wijs een regio aan voor de cijfers.';
      legend.dataset.state = 'ready';
    }).catch(function () {
      if (generation !== ch.generation) return;
      $('legend-title').textContent = typeLabel;
      $('legend-note').textContent = 'De regiocijfers konden niet worden geladen. Probeer het later opnieuw.';
      legend.dataset.state = 'error';
    });
  }

  function showRegion(code, name, r, measure) {
    var box = $('legend-region');
    box.textContent = '';
    box.appendChild(el('p', 'legend__region-name', name));
    box.appendChild(el('p', 'legend__region-figure', describe(r, measure)));
    if (measure === 'share' && r) box.appendChild(el('p', 'legend__region-figure', plural(r.initiatives, 'initiatief', 'initiatieven')));
    var b = el('button', 'button button--link', 'Toon de initiatieven in ' + name);
    b.type = 'button';
    b.addEventListener('click', function () {
      state.regionNames.set(code, name);
      var f = readControls();
      f.region = [code];
      applyFilters(f);
    });
    box.appendChild(b);
  }

  // ---------------------------------------------------------------- start

  function lookup(list, key, value) {
    var o = {};
    (list || []).forEach(function (x) { o[x[key]] = x[value]; });
    return o;
  }

  function start() {
    readUrl();
    createMap();
    bindControls();
    setState('loading');
    setView(window.matchMedia('(max-width: 759px)').matches ? 'list' : 'map');

    // The initiatives need only the code lists; the regions (the base map and the region filter)
    // are drawn when they arrive, and a missing base map is no reason not to show the initiatives.
    var optional = function (p) { return p.catch(function () { return null; }); };
    var codes = getJson('/codelists');
    var am = optional(regionGeometry('arbeidsmarktregio'));
    var pv = optional(regionGeometry('provincie'));
    var gm = optional(regionGeometry('gemeente'));
    codes.then(function (codelists) {
      state.labels = {
        route_kind: lookup(codelists.route_kinds, 'code', 'label'),
        profiel: lookup(codelists.profielen, 'code', 'label'),
        leerweg: lookup((codelists.leerwegen || []).map(function (l) { return { code: l.code, label: capitalise(l.label) }; }), 'code', 'label'),
        niveau: lookup(codelists.niveaus, 'niveau', 'label'),
        domein: lookup(codelists.opleidingsdomeinen, 'code', 'label'),
        region_type: lookup(codelists.region_types, 'type', 'label'),
        agreement: lookup(codelists.agreement_topics, 'code', 'label'),
      };
      KINDS = codelists.route_kinds.map(function (k) { return k.code; });
      state.codelists = codelists;
      buildControls(codelists);
      showFilters();
      // a region from the URL is named once all region names are known (gemeenten too)
      Promise.all([am, pv, gm]).then(function (res) { buildRegionOptions(res[0], res[1]); });
      Promise.all([pv, gm]).then(function (res) { drawBaseMap(res[0], res[1]); });
      var loading = loadInitiatives({ fit: hasFilters() });
      if (state.selectedId) openDetails(state.selectedId, { noFocus: true });
      if (state.choropleth.type) showChoropleth();
      return loading;
    }).catch(function (err) {
      showError(err);
    });

    window.routekaart = Object.freeze({
      ready: ready,
      get state() { return document.body.dataset.state; },
      get total() { return state.total; },
      get estimate() { return state.estimate; },
      get loaded() { return state.features.length; },
      // the filter query of the results on the page (null before the first results)
      get query() { return state.query; },
      get selectedId() { return state.selectedId; },
      // initiatives represented by the clusters and single markers of the map's data set at the
      // current zoom, over the whole map
      clusterSum: clusterSum,
      zoom: function () { return map.getZoom(); },
      // true while the map pans or zooms
      get moving() { return !!state.moving; },
      // where a point [lon, lat] is in the map's container, in pixels
      pointOf: function (lonlat) {
        var p = map.latLngToContainerPoint([lonlat[1], lonlat[0]]);
        return { x: p.x, y: p.y };
      },
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
