/* The submission form (/aanmelden).
 *
 * Builds its choices from /codelists, finds school locations in /collections/schools/items, and
 * sends the initiative as JSON to POST /submissions. The service checks the document as a whole;
 * its answer decides what is shown: every error of a 422 at the field its JSON pointer names and in
 * a summary above the form, or, on 201, the submission's number, address and edit token. The token
 * is shown once and kept nowhere but in the page: no storage, no URL, and it is taken out of the
 * page when the page is left. */
(function () {
  'use strict';

  var REQUEST_TIMEOUT_MS = 30000;
  var SEARCH_DELAY_MS = 250;
  var SEARCH_MIN_CHARS = 2;
  var MAX_PARTIES = 20;
  var MAX_CONTACTS = 10;

  var form = document.getElementById('submission-form');
  var summary = document.getElementById('error-summary');
  var summaryList = document.getElementById('error-summary-list');
  var summaryCount = document.getElementById('error-summary-count');
  var submitProblem = document.getElementById('submit-problem');
  var submitProblemText = document.getElementById('submit-problem-text');
  var submitButton = document.getElementById('submit');
  var submitStatus = document.getElementById('submit-status');
  var success = document.getElementById('submission-success');
  var baseTitle = document.title;

  var codelists = null;
  var idCounter = 0;
  var pending = false;
  // The last body sent and its Idempotency-Key: the same body is retried with the same key, so
  // that a retry after a lost answer returns the first answer and stores nothing twice.
  var lastAttempt = null;
  var locationSchool = null;

  function uid(prefix) {
    idCounter += 1;
    return prefix + '-' + idCounter;
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) e.setAttribute(k, attrs[k]);
      });
    }
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function capitalise(s) {
    return s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
  }

  function lowerFirst(s) {
    return /^[A-Z][a-z]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s;
  }

  function ownErrorBox(group) {
    return group.querySelector(':scope > .field-errors');
  }

  // --- the same shape checks as the service (service/validate.c) ---------------------------------

  function isEmail(s) {
    var at = s.indexOf('@');
    if (s.length > 254 || at <= 0 || s.indexOf('@', at + 1) !== -1) return false;
    if (/[\x00-\x20]/.test(s)) return false;
    var dot = s.indexOf('.', at + 1);
    return dot > at + 1 && dot + 1 < s.length && s.charAt(s.length - 1) !== '.' && s.indexOf('..', at) === -1;
  }

  function isUrl(s) {
    var host;
    if (s.indexOf('https://') === 0) host = s.slice(8);
    else if (s.indexOf('http://') === 0) host = s.slice(7);
    else return false;
    if (s.length > 500 || /[\x00-\x20"<>\\]/.test(s)) return false;
    var end = host.search(/[/?#]/);
    var h = end === -1 ? host : host.slice(0, end);
    var dot = h.indexOf('.');
    return h.length > 2 && dot > 0 && dot < h.length - 1 && h.indexOf('@') === -1;
  }

  var PHONE = /^\+?[0-9][0-9 ()-]{5,19}$/;
  var KVK = /^[0-9]{8}$/;
  var CREBO = /^[0-9]{5}$/;
  var BRIN = /^[0-9]{2}[A-Z]{2}$/;
  var VESTIGING = /^[0-9]{2}[A-Z]{2}[0-9]{2}$/;

  function normaliseKvk(v) {
    return v.replace(/[\s.]/g, '');
  }

  function normaliseBrin(v) {
    return v.toUpperCase().replace(/\s/g, '');
  }

  function splitCrebo(v) {
    return v.split(/[\s,;]+/).filter(Boolean);
  }

  // What a value of each shape must look like: shown for the service's format errors (messageFor)
  // and, with a full stop, by the checks while typing.
  var FORMATS = {
    kvk: 'Een KvK-nummer bestaat uit 8 cijfers, bijvoorbeeld 12345678',
    email: 'Vul een geldig e-mailadres in, zoals naam@school.nl',
    url: 'Vul een volledig webadres in dat begint met https:// of http://',
    phone: 'Vul een geldig telefoonnummer in, bijvoorbeeld 038 123 4567',
    crebo: 'Een crebo-code bestaat uit 5 cijfers',
    brin: 'Een BRIN-nummer bestaat uit 2 cijfers en 2 hoofdletters, zoals 25LH',
    vestigingscode: 'Een vestigingscode bestaat uit 2 cijfers, 2 hoofdletters en 2 cijfers, zoals 25LH01',
    date: 'Vul een geldige datum in',
  };

  // What a check says about a value, or '' when it is fine. Empty values are left to the service.
  var checks = {
    kvk: function (v) {
      return KVK.test(normaliseKvk(v)) ? '' : FORMATS.kvk + '.';
    },
    email: function (v) {
      return isEmail(v) ? '' : FORMATS.email + '.';
    },
    url: function (v) {
      return isUrl(v) ? '' : FORMATS.url + '.';
    },
    phone: function (v) {
      return PHONE.test(v) ? '' : 'Vul een geldig telefoonnummer in, bijvoorbeeld 038 123 4567 of +31 38 123 4567.';
    },
    crebo: function (v) {
      var bad = splitCrebo(v).filter(function (c) { return !CREBO.test(c); });
      return bad.length ? 'Een crebo-code bestaat uit 5 cijfers. Controleer: ' + bad.join(', ') + '.' : '';
    },
    brin: function (v) {
      var u = v.toUpperCase();
      return BRIN.test(u) || VESTIGING.test(u)
        ? '' : 'Vul een BRIN-nummer (zoals 25LH) of een vestigingscode (zoals 25LH01) in.';
    },
  };

  // Makes typed values what the service expects, visibly, before they are checked.
  function tidy(input) {
    var kind = input.dataset.check;
    var v = input.value.trim();
    if (kind === 'brin') v = normaliseBrin(v);
    if (kind === 'url' && v && !/^[a-z][a-z0-9+.-]*:/i.test(v) && /^[^\s/]+\.[^\s]+$/.test(v)) v = 'https://' + v;
    if (v !== input.value) input.value = v;
  }

  function clearClientError(group) {
    var old = group.querySelector(':scope > .field-errors > .field-error--client');
    if (!old) return;
    old.remove();
    setDescribedBy(group.querySelector('[data-check]'), old.id, false);
    if (!group.querySelector(':scope > .field-errors > .field-error')) {
      group.classList.remove('form-group--error');
      var c = group.querySelector('[data-check]');
      if (c) c.removeAttribute('aria-invalid');
    }
  }

  function checkField(input) {
    tidy(input);
    var group = input.closest('.form-group');
    clearClientError(group);
    var v = input.value.trim();
    var problem = v ? checks[input.dataset.check](v) : '';
    if (!problem) return;
    var p = el('p', { class: 'field-error field-error--client', id: uid('check') });
    p.append(el('span', { class: 'visually-hidden' }, 'Fout: '), problem);
    ownErrorBox(group).append(p);
    group.classList.add('form-group--error');
    input.setAttribute('aria-invalid', 'true');
    setDescribedBy(input, p.id, true);
  }

  form.addEventListener('change', function (e) {
    if (e.target.dataset && e.target.dataset.check) checkField(e.target);
  });

  // --- aria-describedby, kept apart from what the markup gave ---------------------------------------

  function setDescribedBy(target, id, on) {
    if (!target) return;
    var ids = (target.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    ids = ids.filter(function (x) { return x !== id; });
    if (on) ids.push(id);
    if (ids.length) target.setAttribute('aria-describedby', ids.join(' '));
    else target.removeAttribute('aria-describedby');
  }

  // --- code lists ---------------------------------------------------------------------------------

  function choice(type, name, value, label, hint, tag) {
    var id = uid('c-' + name);
    var wrap = el('div', { class: 'choice' });
    var input = el('input', { class: 'choice__input', type: type, name: name, value: value, id: id });
    var lab = el('label', { class: 'choice__label', for: id }, label);
    if (tag) lab.append(' ', el('span', { class: 'tag' }, tag));
    wrap.append(input, lab);
    if (hint) {
      var h = el('span', { class: 'choice__hint', id: id + '-hint' }, hint);
      input.setAttribute('aria-describedby', h.id);
      wrap.append(h);
    }
    return wrap;
  }

  function fill(name, nodes) {
    var box = form.querySelector('[data-codelist="' + name + '"]');
    box.replaceChildren.apply(box, nodes);
  }

  function renderCodelists(c) {
    var domeinProfielen = {};
    c.profielen.forEach(function (p) {
      p.opleidingsdomeinen.forEach(function (d) {
        (domeinProfielen[d] = domeinProfielen[d] || []).push(p.afkorting);
      });
    });
    fill('route_kinds', c.route_kinds.map(function (k) {
      return choice('radio', 'route_kind', k.code, k.label);
    }));
    fill('leerwegen', c.leerwegen.map(function (l) {
      return choice('checkbox', 'leerwegen', l.code, capitalise(l.label) + ' (' + l.code + ')');
    }));
    fill('profielen', c.profielen.map(function (p) {
      return choice('checkbox', 'profielen', p.code, p.label + (p.afkorting !== p.label ? ' (' + p.afkorting + ')' : ''));
    }));
    fill('niveaus', c.niveaus.filter(function (n) { return n.allowed_for_routes; }).map(function (n) {
      return choice('checkbox', 'niveaus', String(n.niveau), 'Niveau ' + n.niveau + ' – ' + n.label.toLowerCase());
    }));
    fill('opleidingsdomeinen', c.opleidingsdomeinen.map(function (d) {
      var fits = domeinProfielen[d.code];
      return choice('checkbox', 'opleidingsdomeinen', d.code, d.label,
        fits ? 'Past bij ' + (fits.length > 1 ? 'de profielen ' : 'het profiel ') + fits.join(', ') : null);
    }));
    fill('agreement_topics', c.agreement_topics.map(function (t) {
      return choice('checkbox', 'agreement_topics', t.code, t.label, null, t.required ? 'verplicht onderdeel' : null);
    }));
    form.querySelectorAll('[data-tristate]').forEach(function (box) {
      var name = box.dataset.tristate;
      var opts = [['ja', 'Ja'], ['nee', 'Nee'], ['', 'Weet ik niet']].map(function (o) {
        return choice('radio', name, o[0], o[1]);
      });
      opts[2].querySelector('input').setAttribute('checked', '');
      box.replaceChildren.apply(box, opts);
    });
    // The service accepts 2010 up to five years from now.
    var select = document.getElementById('start-year');
    var now = new Date().getFullYear();
    for (var y = now + 5; y >= 2010; y--) select.append(el('option', { value: String(y) }, y + '–' + (y + 1)));
  }

  function loadCodelists() {
    var problem = document.getElementById('load-problem');
    var loading = document.getElementById('loading');
    problem.hidden = true;
    loading.hidden = false;
    document.body.dataset.state = 'loading';
    fetchWithTimeout('/codelists', { headers: { Accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw new Error('codelists: HTTP ' + res.status);
        return res.json();
      })
      .then(function (c) {
        codelists = c;
        renderCodelists(c);
        addRow('mbo');
        addRow('contact');
        updateLimits();
        loading.hidden = true;
        form.hidden = false;
        document.body.dataset.state = 'ready';
      })
      .catch(function () {
        loading.hidden = true;
        problem.hidden = false;
        document.body.dataset.state = 'error';
      });
  }

  document.getElementById('load-retry').addEventListener('click', loadCodelists);

  function fetchWithTimeout(url, init) {
    var controller = new AbortController();
    var outer = init.signal;
    if (outer) outer.addEventListener('abort', function () { controller.abort(); });
    var timer = setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    var opts = Object.assign({}, init, { signal: controller.signal });
    return fetch(url, opts).finally(function () { clearTimeout(timer); });
  }

  // --- repeating groups: mbo institutions, companies, other organisations, contact persons --------

  var rowKinds = {
    mbo: { min: 1, title: 'Mbo-instelling' },
    bedrijf: { min: 0, title: 'Bedrijf' },
    overig: { min: 0, title: 'Organisatie' },
    contact: { min: 1, title: 'Contactpersoon' },
  };

  function rowsOf(kind) {
    return Array.from(form.querySelectorAll('[data-rows="' + kind + '"] > .row'));
  }

  // Gives a cloned group its ids: label for, hint and error ids for aria-describedby.
  function wireGroup(group) {
    var input = group.querySelector('[data-input]');
    var id = uid('f-' + group.dataset.key);
    input.id = id;
    var label = group.querySelector('label');
    label.htmlFor = id;
    var hints = Array.from(group.querySelectorAll('.hint')).map(function (h) {
      h.id = uid('h');
      return h.id;
    });
    if (hints.length) input.setAttribute('aria-describedby', hints.join(' '));
  }

  function addRow(kind, focus) {
    var tpl = document.getElementById('tpl-' + kind);
    var row = tpl.content.firstElementChild.cloneNode(true);
    row.id = uid('row-' + kind);
    row.querySelectorAll('.form-group[data-key]').forEach(wireGroup);
    row.querySelector('[data-remove]').addEventListener('click', function () { removeRow(row, kind); });
    form.querySelector('[data-rows="' + kind + '"]').append(row);
    renumber(kind);
    updateLimits();
    if (focus) row.querySelector('[data-input]').focus();
    return row;
  }

  function removeRow(row, kind) {
    var rows = rowsOf(kind);
    var i = rows.indexOf(row);
    row.remove();
    renumber(kind);
    updateLimits();
    focusNear(rowsOf(kind), i, form.querySelector('[data-add="' + kind + '"]'));
  }

  // After the item at i was removed, focus stays near: the item that took its place, the one
  // before, or else the fallback.
  function focusNear(items, i, fallback) {
    (items[i] || items[i - 1] || fallback).focus();
  }

  function renumber(kind) {
    var rows = rowsOf(kind);
    var meta = rowKinds[kind];
    rows.forEach(function (row, i) {
      row.querySelector('.row__number').textContent = String(i + 1);
      row.querySelector('.row__remove-label').textContent = ' ' + meta.title.toLowerCase() + ' ' + (i + 1);
      row.querySelector('[data-remove]').hidden = rows.length <= meta.min;
      row.dataset.label = meta.title + ' ' + (i + 1);
    });
  }

  function partyCount() {
    return voItems().length + rowsOf('mbo').length + rowsOf('bedrijf').length + rowsOf('overig').length;
  }

  function updateLimits() {
    var full = partyCount() >= MAX_PARTIES;
    ['mbo', 'bedrijf', 'overig'].forEach(function (k) {
      form.querySelector('[data-add="' + k + '"]').disabled = full;
    });
    document.getElementById('school-search').disabled = full;
    document.getElementById('parties-limit').hidden = !full;
    var contactsFull = rowsOf('contact').length >= MAX_CONTACTS;
    form.querySelector('[data-add="contact"]').disabled = contactsFull;
    document.getElementById('contacts-limit').hidden = !contactsFull;
  }

  form.querySelectorAll('[data-add]').forEach(function (b) {
    b.addEventListener('click', function () { addRow(b.dataset.add, true); });
  });

  // --- the chosen vmbo school locations ----------------------------------------------------------

  var voList = document.getElementById('vo-list');

  function voItems() {
    return Array.from(voList.children);
  }

  function schoolText(s) {
    return s.name + ', ' + s.plaats;
  }

  function addSchool(s) {
    var li = document.getElementById('tpl-school').content.firstElementChild.cloneNode(true);
    li.id = uid('school');
    li.dataset.code = s.vestigingscode;
    li.dataset.label = 'Vmbo-schoollocatie ' + s.name;
    li.querySelector('.chosen__name').textContent = s.name;
    li.querySelector('.chosen__meta').textContent = s.plaats + ' · vestigingscode ' + s.vestigingscode;
    li.querySelector('.row__remove-label').textContent = ' ' + schoolText(s);
    li.querySelector('[data-remove]').addEventListener('click', function () {
      var items = voItems();
      var i = items.indexOf(li);
      li.remove();
      schoolsChanged();
      var buttons = voItems().map(function (item) { return item.querySelector('[data-remove]'); });
      focusNear(buttons, i, document.getElementById('school-search'));
    });
    voList.append(li);
    schoolsChanged();
  }

  function schoolsChanged() {
    var items = voItems();
    document.getElementById('vo-empty').hidden = items.length > 0;
    var current = document.getElementById('loc-party-current');
    if (!current) {
      current = el('span', { class: 'choice__hint', id: 'loc-party-current' });
      document.getElementById('loc-party').closest('.choice').append(current);
      document.getElementById('loc-party').setAttribute('aria-describedby', current.id);
    }
    current.textContent = items.length
      ? 'Nu: ' + items[0].querySelector('.chosen__name').textContent + ', ' +
        items[0].querySelector('.chosen__meta').textContent.split(' · ')[0]
      : 'Kies hierboven eerst een vmbo-schoollocatie.';
    updateLimits();
  }

  // --- search-as-you-type for school locations (combobox with a listbox) --------------------------

  function combobox(root, opts) {
    var input = root.querySelector('.combobox__input');
    var popup = root.querySelector('.combobox__popup');
    var list = root.querySelector('[role="listbox"]');
    var message = root.querySelector('.combobox__message');
    var status = root.querySelector('.combobox__status');
    var results = [];
    var active = -1;
    var timer = 0;
    var controller = null;
    var seq = 0;

    function close() {
      popup.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }

    function cancel() {
      clearTimeout(timer);
      seq += 1;
      if (controller) controller.abort();
      controller = null;
    }

    // Names and places by substring; a vestigingscode or BRIN by the school's BRIN.
    function query(text) {
      var code = normaliseBrin(text);
      var p = new URLSearchParams();
      var exact = null;
      if (BRIN.test(code) || VESTIGING.test(code)) {
        p.set('brin', code.slice(0, 4));
        p.set('limit', '50');
        if (code.length === 6) exact = code;
      } else {
        p.set('q', text.slice(0, 200));
        p.set('limit', '10');
      }
      if (opts.vmbo) p.set('vmbo', 'true');
      return { url: '/collections/schools/items?' + p.toString(), exact: exact };
    }

    function search(text) {
      cancel();
      var mine = seq;
      var q = query(text);
      controller = new AbortController();
      status.textContent = 'Zoeken…';
      fetchWithTimeout(q.url, { headers: { Accept: 'application/geo+json' }, signal: controller.signal })
        .then(function (res) {
          if (!res.ok) throw new Error('schools: HTTP ' + res.status);
          return res.json();
        })
        .then(function (data) {
          if (mine !== seq) return;
          controller = null;
          var found = data.features.map(function (f) { return f.properties; });
          var total = data.numberMatched;
          if (q.exact) {
            found = found.filter(function (s) { return s.vestigingscode === q.exact; });
            total = found.length;
          }
          render(found, total, text);
        })
        .catch(function () {
          if (mine !== seq) return;
          controller = null;
          results = [];
          list.replaceChildren();
          message.textContent = 'Zoeken lukt nu niet. Controleer uw internetverbinding en probeer het opnieuw.';
          message.hidden = false;
          status.textContent = message.textContent;
          popup.hidden = false;
          input.setAttribute('aria-expanded', 'false');
        });
    }

    function highlighted(name, text) {
      var frag = document.createDocumentFragment();
      var i = name.toLowerCase().indexOf(text.toLowerCase());
      if (i < 0 || !text) {
        frag.append(name);
        return frag;
      }
      frag.append(name.slice(0, i), el('mark', null, name.slice(i, i + text.length)), name.slice(i + text.length));
      return frag;
    }

    function render(found, total, text) {
      results = found;
      active = -1;
      input.removeAttribute('aria-activedescendant');
      list.replaceChildren.apply(list, found.map(function (s, i) {
        var chosen = opts.isChosen(s.vestigingscode);
        var li = el('li', {
          id: list.id + '-' + i, role: 'option', class: 'option', 'aria-selected': 'false',
          'aria-disabled': chosen ? 'true' : null, 'data-index': String(i), 'data-code': s.vestigingscode,
          'data-testid': 'school-option',
        });
        var name = el('span', { class: 'option__name' });
        name.append(highlighted(s.name, text));
        var meta = el('span', { class: 'option__meta' },
          s.plaats + ' · ' + s.vestigingscode + (chosen ? ' · al gekozen' : ''));
        li.append(name, meta);
        return li;
      }));
      var what = opts.vmbo ? 'vmbo-schoollocaties' : 'schoollocaties';
      if (!found.length) {
        message.textContent = 'Geen ' + what + ' gevonden voor ‘' + text + '’.';
      } else if (total > found.length) {
        message.textContent = 'Er zijn ' + total + ' resultaten; de eerste ' + found.length +
          ' staan hierboven. Typ verder om te verfijnen.';
      } else {
        message.textContent = '';
      }
      message.hidden = !message.textContent;
      popup.hidden = false;
      input.setAttribute('aria-expanded', found.length ? 'true' : 'false');
      status.textContent = found.length
        ? (found.length === 1 ? '1 ' + what.replace(/s$/, '') + ' gevonden.' : found.length + ' ' + what + ' gevonden.') +
          ' Kies met pijltje omlaag en Enter.'
        : message.textContent;
    }

    function move(delta) {
      var n = results.length;
      if (!n) return;
      if (popup.hidden) {
        popup.hidden = false;
        input.setAttribute('aria-expanded', 'true');
      }
      active = active < 0 ? (delta > 0 ? 0 : n - 1) : (active + delta + n) % n;
      Array.from(list.children).forEach(function (li, i) {
        li.setAttribute('aria-selected', i === active ? 'true' : 'false');
        li.classList.toggle('option--active', i === active);
      });
      var current = list.children[active];
      input.setAttribute('aria-activedescendant', current.id);
      current.scrollIntoView({ block: 'nearest' });
    }

    function choose(i) {
      var s = results[i];
      if (!s) return;
      if (opts.isChosen(s.vestigingscode)) {
        status.textContent = schoolText(s) + ' is al gekozen.';
        return;
      }
      cancel();
      close();
      results = [];
      list.replaceChildren();
      message.textContent = '';
      input.value = '';
      opts.onChoose(s);
      status.textContent = schoolText(s) + (opts.vmbo ? ' is toegevoegd.' : ' is gekozen.');
    }

    input.addEventListener('input', function () {
      cancel();
      var text = input.value.trim();
      if (text.length < SEARCH_MIN_CHARS) {
        close();
        results = [];
        list.replaceChildren();
        message.textContent = '';
        status.textContent = '';
        return;
      }
      timer = setTimeout(function () { search(text); }, SEARCH_DELAY_MS);
    });

    input.addEventListener('keydown', function (e) {
      switch (e.key) {
        case 'ArrowDown':
          e.preventDefault();
          move(1);
          break;
        case 'ArrowUp':
          e.preventDefault();
          move(-1);
          break;
        case 'Enter':
          // Enter chooses; it never sends the form from the search field.
          e.preventDefault();
          if (!popup.hidden && active >= 0) choose(active);
          break;
        case 'Escape':
          if (!popup.hidden) {
            e.preventDefault();
            close();
          } else if (input.value) {
            e.preventDefault();
            cancel();
            input.value = '';
            status.textContent = '';
          }
          break;
        case 'Tab':
          close();
          break;
      }
    });

    input.addEventListener('blur', close);
    input.addEventListener('focus', function () {
      if (results.length && input.value.trim().length >= SEARCH_MIN_CHARS) {
        popup.hidden = false;
        input.setAttribute('aria-expanded', 'true');
      }
    });
    // A click in the list must not take the focus from the field first.
    popup.addEventListener('mousedown', function (e) { e.preventDefault(); });
    list.addEventListener('click', function (e) {
      var li = e.target.closest('[role="option"]');
      if (li) choose(Number(li.dataset.index));
    });
  }

  combobox(form.querySelector('[data-combobox="vo"]'), {
    vmbo: true,
    isChosen: function (code) {
      return voItems().some(function (li) { return li.dataset.code === code; });
    },
    onChoose: addSchool,
  });

  combobox(form.querySelector('[data-combobox="location"]'), {
    vmbo: false,
    isChosen: function (code) { return !!locationSchool && locationSchool.vestigingscode === code; },
    onChoose: function (s) {
      locationSchool = s;
      document.getElementById('location-chosen').textContent =
        'Gekozen: ' + s.name + ', ' + s.plaats + ' (vestigingscode ' + s.vestigingscode + ')';
    },
  });

  // --- the location choice -----------------------------------------------------------------------

  function locationMode() {
    var checked = form.querySelector('input[name="location_mode"]:checked');
    return checked ? checked.value : 'party';
  }

  function showLocationPanels() {
    var mode = locationMode();
    document.getElementById('loc-school-panel').hidden = mode !== 'school';
    document.getElementById('loc-point-panel').hidden = mode !== 'point';
  }

  form.querySelectorAll('input[name="location_mode"]').forEach(function (r) {
    r.addEventListener('change', showLocationPanels);
  });

  // --- the document, and where each of its members is in the form ---------------------------------

  function value(id) {
    return document.getElementById(id).value.trim();
  }

  function checkedValues(name) {
    return Array.from(form.querySelectorAll('input[name="' + name + '"]:checked')).map(function (i) { return i.value; });
  }

  function decimal(text) {
    var t = text.replace(',', '.');
    return /^-?[0-9]+(\.[0-9]+)?$/.test(t) ? Number(t) : text;
  }

  function controlsOf(group) {
    return Array.from(group.querySelectorAll('input, select, textarea')).filter(function (c) {
      return c.closest('[data-pointer], [data-key], .row, .chosen') === group;
    });
  }

  // A place for the errors of one pointer: where they are written, what gets focus from the
  // summary, what they describe and what is marked invalid.
  function fieldEntry(group, label) {
    var controls = controlsOf(group);
    var block = group.classList.contains('form-group--block') || group.classList.contains('row') ||
      group.classList.contains('chosen');
    if (block) {
      var focus = group.dataset.focus ? document.querySelector(group.dataset.focus) : group;
      return { group: group, focus: focus, describe: [], invalid: [], label: label };
    }
    if (group.tagName === 'FIELDSET') {
      var first = controls.filter(function (c) { return c.checked; })[0] || controls[0];
      return {
        group: group, focus: first, describe: [group], label: label,
        invalid: controls.filter(function (c) { return c.type !== 'radio'; }),
      };
    }
    return { group: group, focus: controls[0], describe: controls, invalid: controls, label: label };
  }

  function collect() {
    var body = {};
    var fields = new Map();

    form.querySelectorAll('[data-pointer]').forEach(function (g) {
      fields.set(g.dataset.pointer, fieldEntry(g, g.dataset.label));
    });

    var name = value('name');
    if (name) body.name = name;
    var kind = checkedValues('route_kind')[0];
    if (kind) body.route_kind = kind;
    var leerwegen = checkedValues('leerwegen');
    if (leerwegen.length) body.leerwegen = leerwegen;
    var profielen = checkedValues('profielen');
    if (profielen.length) body.profielen = profielen;
    var niveaus = checkedValues('niveaus').map(Number);
    if (niveaus.length) body.niveaus = niveaus;
    var domeinen = checkedValues('opleidingsdomeinen');
    if (domeinen.length) body.opleidingsdomeinen = domeinen;
    var crebo = splitCrebo(value('crebo'));
    if (crebo.length) body.crebo = crebo;
    var year = value('start-year');
    if (year) body.start_year = Number(year);
    var description = value('description');
    if (description) body.description = description;
    var website = value('website');
    if (website) body.website = website;
    var mailbox = value('mailbox');
    if (mailbox) body.mailbox = mailbox;

    var mode = locationMode();
    if (mode === 'school') {
      // Nothing chosen yet is sent as an empty code, so that the service reports it at this field.
      body.location = { vestigingscode: locationSchool ? locationSchool.vestigingscode : '' };
    } else if (mode === 'point') {
      body.location = {};
      var lat = value('lat');
      var lon = value('lon');
      if (lon) body.location.lon = decimal(lon);
      if (lat) body.location.lat = decimal(lat);
    }

    var conditions = {};
    var signed = document.getElementById('agreement-signed-on').value;
    if (signed) conditions.agreement_signed_on = signed;
    var topics = checkedValues('agreement_topics');
    if (topics.length) conditions.agreement_topics = topics;
    ['rio_registered', 'combined_pta_oer', 'cohort_guarantee'].forEach(function (k) {
      var v = checkedValues(k)[0];
      if (v === 'ja') conditions[k] = true;
      if (v === 'nee') conditions[k] = false;
    });
    if (Object.keys(conditions).length) body.conditions = conditions;

    var parties = [];
    function party(p, row, members) {
      var base = '/parties/' + parties.length;
      var rowEntry = fieldEntry(row, row.dataset.label);
      fields.set(base, rowEntry);
      fields.set(base + '/role', rowEntry);
      Object.keys(members).forEach(function (m) {
        var g = members[m];
        fields.set(base + '/' + m, g === row ? rowEntry : fieldEntry(g, row.dataset.label + ' – ' + g.dataset.label));
      });
      parties.push(p);
    }
    function groupOf(row, key) {
      return row.querySelector('.form-group[data-key="' + key + '"]');
    }
    function text(row, key) {
      return groupOf(row, key).querySelector('[data-input]').value.trim();
    }

    voItems().forEach(function (li) {
      party({ role: 'vo', vestigingscode: li.dataset.code }, li, { vestigingscode: li });
    });
    rowsOf('mbo').forEach(function (row, i) {
      var v = normaliseBrin(text(row, 'brin'));
      if (!v && i > 0) return;
      var p = { role: 'mbo' };
      if (VESTIGING.test(v)) p.vestigingscode = v;
      else if (v) p.brin = v;
      var g = groupOf(row, 'brin');
      party(p, row, { brin: g, vestigingscode: g });
    });
    rowsOf('bedrijf').forEach(function (row) {
      var kvk = normaliseKvk(text(row, 'kvk'));
      var n = text(row, 'name');
      var plaats = text(row, 'plaats');
      if (!kvk && !n && !plaats) return;
      var p = { role: 'bedrijf' };
      if (kvk) p.kvk = kvk;
      if (n) p.name = n;
      if (plaats) p.plaats = plaats;
      party(p, row, { kvk: groupOf(row, 'kvk'), name: groupOf(row, 'name'), plaats: groupOf(row, 'plaats') });
    });
    rowsOf('overig').forEach(function (row) {
      var n = text(row, 'name');
      var plaats = text(row, 'plaats');
      if (!n && !plaats) return;
      var p = { role: 'overig' };
      if (n) p.name = n;
      if (plaats) p.plaats = plaats;
      party(p, row, { name: groupOf(row, 'name'), plaats: groupOf(row, 'plaats') });
    });
    body.parties = parties;

    var contacts = [];
    rowsOf('contact').forEach(function (row, i) {
      var c = {};
      ['name', 'function', 'email', 'phone'].forEach(function (k) {
        var v = text(row, k);
        if (v) c[k] = v;
      });
      // Further contact persons left empty are left out; the first is always sent.
      if (i > 0 && !Object.keys(c).length) return;
      c.sbo_contact = groupOf(row, 'sbo_contact').querySelector('[data-input]').checked;
      c.public_consent = groupOf(row, 'public_consent').querySelector('[data-input]').checked;
      var base = '/contacts/' + contacts.length;
      var rowEntry = fieldEntry(row, row.dataset.label);
      fields.set(base, rowEntry);
      ['name', 'function', 'email', 'phone', 'sbo_contact', 'public_consent'].forEach(function (k) {
        var g = groupOf(row, k);
        fields.set(base + '/' + k, fieldEntry(g, row.dataset.label + ' – ' + g.dataset.label));
      });
      contacts.push(c);
    });
    body.contacts = contacts;

    return { body: body, fields: fields };
  }

  // The place of a pointer, or of the nearest member above it (/niveaus/0 is shown at /niveaus).
  function resolve(fields, pointer) {
    var p = pointer;
    while (p) {
      if (fields.has(p)) return fields.get(p);
      p = p.slice(0, p.lastIndexOf('/'));
    }
    return null;
  }

  // --- errors --------------------------------------------------------------------------------------

  // The shape a member must have, from its name (the service's errors carry no parameter).
  function formatOf(pointer) {
    var member = pointer.replace(/\/[0-9]+$/, '').split('/').pop();
    return {
      kvk: 'kvk', email: 'email', mailbox: 'email', website: 'url', phone: 'phone', crebo: 'crebo',
      brin: 'brin', vestigingscode: 'vestigingscode', agreement_signed_on: 'date',
    }[member] || '';
  }

  function messageFor(e, pointer, body, entry) {
    var m = /^\/parties\/(\d+)\//.exec(pointer);
    if (e.code === 'party_identity' && m) {
      var role = body.parties[Number(m[1])] && body.parties[Number(m[1])].role;
      if (role === 'mbo') return 'Vul het BRIN-nummer of de vestigingscode van de mbo-instelling in';
      if (role === 'bedrijf') return /\/kvk$/.test(pointer) ? 'Vul het KvK-nummer van het bedrijf in' : 'Vul de naam van het bedrijf in';
      if (role === 'overig') return 'Vul de naam van de organisatie in';
    }
    if (e.code === 'format' && FORMATS[formatOf(pointer)]) return FORMATS[formatOf(pointer)];
    if (pointer === '/location/vestigingscode' && e.code === 'too_short') return 'Kies de schoollocatie uit de lijst';
    if (e.code === 'required' && entry && entry.group.tagName === 'FIELDSET') {
      return entry.group.querySelector('input[type="checkbox"]') ? 'Kies minstens één mogelijkheid' : 'Maak een keuze';
    }
    if (pointer === '/location/lat' && e.code === 'type') return 'Vul een getal in, zoals 52,5116';
    if (pointer === '/location/lon' && e.code === 'type') return 'Vul een getal in, zoals 6,1010';
    return capitalise(typeof e.message === 'string' && e.message ? e.message : 'Ongeldige waarde');
  }

  function clearErrors() {
    form.querySelectorAll('.field-error').forEach(function (p) {
      document.querySelectorAll('[aria-describedby~="' + p.id + '"]').forEach(function (t) {
        setDescribedBy(t, p.id, false);
      });
      p.remove();
    });
    form.querySelectorAll('[aria-invalid]').forEach(function (c) { c.removeAttribute('aria-invalid'); });
    form.querySelectorAll('.form-group--error').forEach(function (g) { g.classList.remove('form-group--error'); });
    summary.hidden = true;
    summaryList.replaceChildren();
    submitProblem.hidden = true;
    document.title = baseTitle;
  }

  function focusField(entry) {
    var target = entry.focus || entry.group;
    entry.group.scrollIntoView({ block: 'start' });
    if (target.tabIndex < 0 && !target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    target.focus({ preventScroll: true });
  }

  function showErrors(errors, fields, body) {
    clearErrors();
    var items = [];
    errors.forEach(function (e) {
      var pointer = typeof e.pointer === 'string' ? e.pointer : '';
      var entry = resolve(fields, pointer);
      var text = messageFor(e, pointer, body, entry);
      if (!entry) {
        items.push({ pointer: pointer, text: text, entry: null });
        return;
      }
      var p = el('p', { class: 'field-error', id: uid('err'), 'data-error-for': pointer });
      p.append(el('span', { class: 'visually-hidden' }, 'Fout: '), text);
      ownErrorBox(entry.group).append(p);
      entry.group.classList.add('form-group--error');
      entry.describe.forEach(function (t) { setDescribedBy(t, p.id, true); });
      entry.invalid.forEach(function (c) { c.setAttribute('aria-invalid', 'true'); });
      if (entry.focus && entry.focus !== entry.group && !entry.describe.length) setDescribedBy(entry.focus, p.id, true);
      items.push({ pointer: pointer, text: entry.label ? entry.label + ': ' + lowerFirst(text) : text, entry: entry });
    });
    // In the order of the form; what has no place in it last.
    items.sort(function (a, b) {
      if (!a.entry || !b.entry) return (a.entry ? 0 : 1) - (b.entry ? 0 : 1);
      if (a.entry.group === b.entry.group) return 0;
      return a.entry.group.compareDocumentPosition(b.entry.group) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
    });
    summaryList.replaceChildren.apply(summaryList, items.map(function (it) {
      var li = el('li', { 'data-summary-for': it.pointer });
      if (it.entry) {
        var target = it.entry.focus || it.entry.group;
        if (!target.id) target.id = uid('target');
        var a = el('a', { href: '#' + target.id }, it.text);
        a.addEventListener('click', function (ev) {
          ev.preventDefault();
          focusField(it.entry);
        });
        li.append(a);
      } else {
        li.textContent = it.text;
      }
      return li;
    }));
    summaryCount.textContent = items.length === 1
      ? 'Verbeter de volgende fout om de aanmelding te versturen:'
      : 'Verbeter de volgende ' + items.length + ' fouten om de aanmelding te versturen:';
    document.title = 'Fout: ' + baseTitle;
    summary.hidden = false;
    summary.scrollIntoView({ block: 'start' });
    summary.focus({ preventScroll: true });
  }

  function showProblem(text) {
    clearErrors();
    submitProblemText.textContent = text;
    submitProblem.hidden = false;
    document.title = 'Fout: ' + baseTitle;
    submitProblem.scrollIntoView({ block: 'start' });
    submitProblem.focus({ preventScroll: true });
  }

  // --- sending -----------------------------------------------------------------------------------

  function newKey() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }

  function setPending(on) {
    pending = on;
    submitButton.setAttribute('aria-disabled', on ? 'true' : 'false');
    submitButton.classList.toggle('button--busy', on);
    submitButton.textContent = on ? 'Bezig met versturen…' : 'Aanmelding versturen';
    submitStatus.textContent = on ? 'De aanmelding wordt verstuurd.' : '';
  }

  function seconds(retryAfter) {
    var n = parseInt(retryAfter || '', 10);
    return n > 0 ? n : 60;
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (pending || !codelists) return;
    var c = collect();
    var text = JSON.stringify(c.body);
    var key = lastAttempt && lastAttempt.text === text ? lastAttempt.key : newKey();
    lastAttempt = { text: text, key: key };
    setPending(true);
    fetchWithTimeout('/submissions', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, application/problem+json',
        'Accept-Language': 'nl',
        'Idempotency-Key': key,
      },
      body: text,
      credentials: 'omit',
      cache: 'no-store',
    })
      .then(function (res) {
        return res.text().then(function (t) {
          var json = null;
          try { json = JSON.parse(t); } catch (err) { json = null; }
          return { res: res, json: json };
        });
      })
      .then(function (r) {
        setPending(false);
        handleAnswer(r.res, r.json, c);
      })
      .catch(function () {
        setPending(false);
        showProblem('Er kwam geen antwoord van de server. Controleer uw internetverbinding en verstuur het formulier ' +
          'opnieuw; de aanmelding wordt dan niet dubbel opgeslagen.');
      });
  });

  function handleAnswer(res, json, c) {
    var s = res.status;
    if (s === 201 && json && json.edit_token && json.id) {
      lastAttempt = null;
      showSuccess(json, res.headers.get('Location'));
      return;
    }
    if ((s === 422 || s === 400) && json && Array.isArray(json.errors) && json.errors.length) {
      showErrors(json.errors, c.fields, c.body);
      return;
    }
    if (s === 429) {
      var wait = seconds(res.headers.get('Retry-After'));
      showProblem('Er zijn vanaf uw adres kort na elkaar te veel aanvragen gedaan. Wacht ' +
        (wait >= 120 ? Math.ceil(wait / 60) + ' minuten' : wait + ' seconden') + ' en verstuur het formulier dan opnieuw.');
      return;
    }
    if (s === 503) {
      showProblem('De routekaart is op dit moment niet bereikbaar door onderhoud of drukte. Probeer het over enkele minuten opnieuw.');
      return;
    }
    if (s >= 500) {
      showProblem('Er ging bij ons iets mis bij het verwerken van de aanmelding (fout ' + s + '). ' +
        'Probeer het over enkele minuten opnieuw.');
      return;
    }
    if (s === 413) {
      showProblem('De aanmelding is te groot om te versturen. Maak de beschrijving korter en probeer het opnieuw.');
      return;
    }
    if (s === 201) {
      showProblem('Het antwoord van de server kon niet worden gelezen. Verstuur het formulier opnieuw; de aanmelding wordt dan niet dubbel opgeslagen.');
      return;
    }
    if (json && json.type === '/problems/idempotency-key-reused') lastAttempt = null;
    showProblem('De aanmelding kon niet worden verwerkt (fout ' + s + '). Verstuur het formulier opnieuw. ' +
      'Lukt het dan nog niet, neem dan contact op met het programmateam.');
  }

  // --- the answer: number, address and edit token, once -------------------------------------------

  var tokenEl = document.getElementById('edit-token');
  var urlEl = document.getElementById('submission-url');
  var copyStatus = document.getElementById('copy-status');

  function resetForm() {
    form.reset();
    ['mbo', 'bedrijf', 'overig', 'contact'].forEach(function (k) {
      rowsOf(k).forEach(function (r) { r.remove(); });
    });
    voList.replaceChildren();
    locationSchool = null;
    document.getElementById('location-chosen').textContent = '';
    addRow('mbo');
    addRow('contact');
    schoolsChanged();
    showLocationPanels();
  }

  function showSuccess(answer, location) {
    clearErrors();
    var url = location ? new URL(location, window.location.href).href
      : new URL('/submissions/' + answer.id, window.location.href).href;
    document.getElementById('submission-id').textContent = String(answer.id);
    document.getElementById('success-id-again').textContent = String(answer.id);
    tokenEl.textContent = answer.edit_token;
    urlEl.textContent = url;
    copyStatus.textContent = '';
    resetForm();
    form.hidden = true;
    document.getElementById('intro').hidden = true;
    success.hidden = false;
    document.title = 'Aanmelding ontvangen – ' + baseTitle.split(' – ').pop();
    window.scrollTo(0, 0);
    success.focus({ preventScroll: true });
  }

  // Leaving the page takes the token out of it, so that the back button or the browser's page
  // cache cannot show it again.
  window.addEventListener('pagehide', function () {
    if (success.hidden || !tokenEl.textContent) return;
    tokenEl.textContent = '';
    urlEl.textContent = '';
    tokenEl.closest('.token-details__row').hidden = true;
    document.getElementById('copy-token').hidden = true;
    document.getElementById('copy-all').hidden = true;
    document.getElementById('token-warning').querySelector('.warning__text').textContent =
      'Het bewerkingstoken wordt om veiligheidsredenen niet opnieuw getoond.';
  });

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, function () { return fallbackCopy(text); });
    }
    return Promise.resolve(fallbackCopy(text));
  }

  function fallbackCopy(text) {
    var ta = el('textarea', { class: 'visually-hidden', readonly: 'readonly', 'aria-hidden': 'true' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    ta.remove();
    return ok;
  }

  function copied(ok, what) {
    copyStatus.textContent = ok
      ? capitalise(what) + ' gekopieerd. Plak het op een veilige plek.'
      : 'Kopiëren lukte niet. Selecteer het token en kopieer het zelf.';
  }

  document.getElementById('copy-token').addEventListener('click', function () {
    copyText(tokenEl.textContent).then(function (ok) { copied(ok, 'het token is'); });
  });

  document.getElementById('copy-all').addEventListener('click', function () {
    var text = 'Aanmelding routekaart vmbo-mbo\n' +
      'Aanmeldnummer: ' + document.getElementById('submission-id').textContent + '\n' +
      'Bewerkingstoken: ' + tokenEl.textContent + '\n' +
      'Adres: ' + urlEl.textContent + '\n';
    copyText(text).then(function (ok) { copied(ok, 'nummer, token en adres zijn'); });
  });

  schoolsChanged();
  showLocationPanels();
  loadCodelists();
})();
