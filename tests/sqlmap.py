"""The driver of tests/sqlmap.sh: the targets, the check that openapi.yaml has no parameter
without one, the sqlmap runs and the table (what and how: the header of tests/sqlmap.sh).

    python3 tests/sqlmap.py     from the top of the checkout (it reads openapi.yaml), as
                                tests/sqlmap.sh runs it once the server is up

Environment, set by tests/sqlmap.sh: RK_BASE (http://127.0.0.1:PORT, the only target allowed),
RK_RUN_DIR (where each target's output goes), RK_MODERATOR_KEY and RK_ANALYST_KEY (API keys),
RK_WEB_ROOT (the website's build, or empty); and the SQLMAP_* settings of tests/sqlmap.sh.

Exit status: 0 when no parameter is injectable; 3 when sqlmap reports one injectable; any other
(2 for a missing target, a run that ended in an error or the server gone; 1 for a failed fixture)
is a set-up error to tests/sqlmap.sh.
"""
import concurrent.futures
import datetime
import json
import math
import os
import re
import shlex
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import yaml

BASE = os.environ["RK_BASE"]
RUN = os.environ["RK_RUN_DIR"]
MODERATOR = os.environ["RK_MODERATOR_KEY"].strip()
ANALYST = os.environ["RK_ANALYST_KEY"].strip()
WEB_ROOT = os.environ.get("RK_WEB_ROOT", "")
BUDGET_MIN = float(os.environ.get("SQLMAP_BUDGET_MINUTES", "0"))
LEVEL = os.environ.get("SQLMAP_LEVEL", "5")
RISK = os.environ.get("SQLMAP_RISK", "3")
TECHNIQUE = os.environ.get("SQLMAP_TECHNIQUE", "BEUSTQ")
JOBS = int(os.environ.get("SQLMAP_JOBS", "0")) or max(2, os.cpu_count() or 2)
ONLY = os.environ.get("SQLMAP_ONLY", "")
MIN_SHARE = 20.0

assert re.match(r"^http://127\.0\.0\.1:\d+$", BASE), "only 127.0.0.1 is a target"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --- talking to the server (fixtures) ---------------------------------------------------------

def call(method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    h = {"Accept": "application/json"}
    if data is not None:
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw


def must(method, path, body=None, headers=None, want=(200, 201, 204)):
    status, doc = call(method, path, body, headers)
    if status not in want:
        raise SystemExit("fixture: %s %s answered %s: %s" % (method, path, status, str(doc)[:300]))
    return doc


def bearer(key):
    return {"Authorization": "Bearer " + key}


# What the demo data holds: a published initiative, its regions, a school location, a tile.
first = must("GET", "/collections/initiatives/items?limit=1")["features"][0]
INIT_ID = str(first["id"])
props = must("GET", "/collections/initiatives/items/" + INIT_ID)["properties"]
LON, LAT = first["geometry"]["coordinates"]
REGIONS = props["region_codes"]
AM = next(c for c in REGIONS if c.startswith("AM"))
GM = next(c for c in REGIONS if c.startswith("GM"))
BRIN = next((p["brin"] for p in props["parties"] if p.get("brin")), "99AA")
QWORD = max(re.findall(r"[A-Za-z]{4,}", props["name"]), key=len)
school = must("GET", "/collections/schools/items?limit=1&vmbo=true")["features"][0]
SCHOOL = school["id"]
SCHOOL_BRIN = school["properties"]["brin"]
Z = 10
TX = int((LON + 180) / 360 * 2 ** Z)
TY = int((1 - math.log(math.tan(math.radians(LAT)) + 1 / math.cos(math.radians(LAT))) / math.pi) / 2 * 2 ** Z)
TODAY = datetime.date.today().isoformat()
ASSET = sorted(os.listdir(os.path.join(WEB_ROOT, "assets")))[0] if WEB_ROOT and os.path.isdir(
    os.path.join(WEB_ROOT, "assets")) else "map.js"
VO = "01AA57"

DOC = {
    "name": "Doorlopende leerroute Zorg en welzijn Zwolle",
    "route_kind": "doorlopende_leerroute",
    "leerwegen": ["BB", "KB"],
    "profielen": ["ZW"],
    "niveaus": [2, 3],
    "opleidingsdomeinen": ["o"],
    "crebo": ["25655"],
    "start_year": 2025,
    "description": "Leerlingen stromen vanaf leerjaar 3 door naar mbo Zorg en welzijn.",
    "website": "https://www.landstede.example/leerroute",
    "mailbox": "leerroutes@landstede.example",
    "location": {"vestigingscode": VO},
    "conditions": {"agreement_signed_on": "2024-06-28", "agreement_topics": ["profiel_domein"],
                   "rio_registered": True, "combined_pta_oer": False, "cohort_guarantee": True},
    "parties": [
        {"role": "vo", "vestigingscode": VO},
        {"role": "mbo", "brin": "99AA"},
        {"role": "bedrijf", "kvk": "12345678", "name": "Zorggroep Zwolle Oost", "plaats": "Zwolle"},
        {"role": "overig", "name": "Regionaal Opleidingsnetwerk Zorg IJsselland", "plaats": "Zwolle"},
    ],
    "contacts": [{"name": "Anna de Vries", "function": "teamleider", "email": "a.devries@landstede.example",
                  "phone": "+31 38 123 4567", "sbo_contact": True, "public_consent": False}],
}
DOC_POINT = dict(DOC, location={"lon": 6.100976, "lat": 52.511568})
DOC_MBO_VEST = dict(DOC, parties=[{"role": "vo", "vestigingscode": VO}, {"role": "mbo", "vestigingscode": VO}])
SCHOOL_CONTACT = {"name": "Anna de Vries", "function": "teamleider", "email": "a.devries@landstede.example",
                  "phone": "038 123 45 67"}


def new_submission():
    """A fresh pending submission: (id, edit token, id of its contact person)."""
    created = must("POST", "/submissions", DOC)
    sid, token = str(created["id"]), created["edit_token"]
    view = must("GET", "/submissions/" + sid, headers=bearer(token))
    return sid, token, str(view["contacts"][0]["id"])


for label, doc in (("the full submission", DOC), ("the submission located by a point", DOC_POINT)):
    status, answer = call("POST", "/submissions", doc)
    if status != 201:
        raise SystemExit("fixture: %s is refused (%s): %s" % (label, status, str(answer)[:400]))


# --- JSON with one marked place ----------------------------------------------------------------

SENTINEL = "\u0001mark\u0001"


def leaves(doc, path=()):
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from leaves(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from leaves(v, path + (i,))
    else:
        yield path, doc


def marked(doc, path):
    """The JSON text of doc with sqlmap's marker at the value at path."""
    copy = json.loads(json.dumps(doc))
    node = copy
    for k in path[:-1]:
        node = node[k]
    value = node[path[-1]]
    node[path[-1]] = SENTINEL
    text = json.dumps(copy, ensure_ascii=False)
    if isinstance(value, str):
        repl = json.dumps(value + "*", ensure_ascii=False)
    else:
        repl = json.dumps(value) + "*"
    return text.replace(json.dumps(SENTINEL), repl)


def pointer(path):
    return "/" + "/".join(str(p) for p in path)


def schema_key(path, doc):
    """The property path of openapi.yaml that a leaf stands for: array indexes as [], and a
    party's properties under its role (parties[vo]/vestigingscode)."""
    out = []
    node = doc
    for p in path:
        if isinstance(p, int):
            role = node[p].get("role") if isinstance(node[p], dict) and out and out[-1] == "parties" else None
            out[-1] = out[-1] + ("[%s]" % role if role else "[]")
        else:
            out.append(p)
        node = node[p]
    return "/".join(out)


# --- the targets --------------------------------------------------------------------------------

class Target:
    def __init__(self, method, endpoint, param, where, make, note="", key=None):
        self.method, self.endpoint, self.param, self.where = method, endpoint, param, where
        self.make, self.note = make, note  # make() -> (url, data or None, headers)
        self.key = key or param  # the parameter of openapi.yaml it stands for
        self.slow = False

    @property
    def label(self):
        return "%s %s" % (self.method, self.endpoint)


targets = []


def add(method, endpoint, param, where, make, note="", key=None):
    t = Target(method, endpoint, param, where, make, note, key)
    targets.append(t)
    return t


def q(path, params, marked_name, extra=None):
    """A URL with the query params, the marker after the value of marked_name."""
    parts = []
    for k, v in params:
        parts.append("%s=%s%s" % (k, v, "*" if k == marked_name else ""))
    url = BASE + path + ("?" + "&".join(parts) if parts else "")
    return url


def query_targets(method, endpoint, path, values, headers=None, fixed=(), note=""):
    """One target per query parameter: fixed ones (such as a required zoom) always present."""
    for name, value in values:
        params = list(fixed) + [(name, value)] if name not in dict(fixed) else list(fixed)
        add(method, endpoint, name, "query",
            lambda path=path, params=params, name=name: (q(path, params, name), None, dict(headers or {})),
            note)


def path_target(method, endpoint, name, marked_path, headers=None, data=None, note=""):
    add(method, endpoint, name, "path", lambda: (BASE + marked_path, data, dict(headers or {})), note)


def header_target(method, endpoint, header, value, path, headers=None, data=None, note=""):
    h = dict(headers or {})
    h[header] = value
    return add(method, endpoint, header, "header", lambda: (BASE + path, data, dict(h)), note)


# the public read API
SPEC = yaml.safe_load(open("openapi.yaml", encoding="utf-8"))


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        cur = SPEC
        for part in node["$ref"].lstrip("#/").split("/"):
            cur = cur[part]
        node = cur
    return node


def f_value(endpoint, method="get"):
    for p in SPEC["paths"][endpoint][method].get("parameters", []):
        p = resolve(p)
        if p["name"] == "f":
            s = resolve(p.get("schema", {}))
            return s.get("default") or s["enum"][0]
    return "json"


for ep in ("/", "/api", "/conformance", "/collections", "/codelists"):
    query_targets("GET", ep, ep, [("f", f_value(ep))])
    header_target("GET", ep, "If-None-Match", '"0123456789abcdef"*', ep)
header_target("GET", "/aanmelden", "If-None-Match", '"0123456789abcdef"*', "/aanmelden")
path_target("GET", "/assets/{asset}", "asset", "/assets/%s*" % ASSET)
header_target("GET", "/assets/{asset}", "If-None-Match", '"0123456789abcdef"*', "/assets/" + ASSET)

ep = "/collections/{collectionId}"
path_target("GET", ep, "collectionId", "/collections/initiatives*")
query_targets("GET", ep, "/collections/initiatives", [("f", "json")])
header_target("GET", ep, "If-None-Match", '"0123456789abcdef"*', "/collections/initiatives")

ep = "/collections/{collectionId}/items"
BBOX = "3.3,50.7,7.3,53.6"
path_target("GET", ep, "collectionId", "/collections/initiatives*/items?limit=5")
query_targets("GET", ep, "/collections/initiatives/items", [
    ("limit", "5"), ("offset", "1"), ("bbox", BBOX), ("f", "geojson"), ("region", AM),
    ("route_kind", props["route_kind"]), ("niveau", str(props["niveaus"][0])),
    ("profiel", (props["profielen"] or ["ZW"])[0]), ("leerweg", props["leerwegen"][0]),
    ("opleidingsdomein", props["opleidingsdomeinen"][0]), ("brin", BRIN), ("q", QWORD),
    ("start_year", str(props["start_year"])), ("after", INIT_ID)], note="initiatives")
query_targets("GET", ep, "/collections/schools/items", [
    ("limit", "5"), ("offset", "1"), ("bbox", BBOX), ("f", "geojson"), ("region", GM),
    ("brin", SCHOOL_BRIN), ("vmbo", "true"), ("q", school["properties"]["plaats"])], note="schools")
query_targets("GET", ep, "/collections/regions-gemeente/items", [
    ("limit", "5"), ("offset", "1"), ("bbox", BBOX), ("f", "geojson"), ("simplify", "0.001")],
    note="regions-gemeente")
header_target("GET", ep, "If-None-Match", '"0123456789abcdef"*', "/collections/initiatives/items?limit=5")

ep = "/collections/{collectionId}/items/{featureId}"
path_target("GET", ep, "collectionId", "/collections/initiatives*/items/" + INIT_ID)
path_target("GET", ep, "featureId", "/collections/initiatives/items/%s*" % INIT_ID, note="initiatives")
path_target("GET", ep, "featureId", "/collections/schools/items/%s*" % SCHOOL, note="schools")
path_target("GET", ep, "featureId", "/collections/regions-gemeente/items/%s*" % GM, note="regions-gemeente")
query_targets("GET", ep, "/collections/initiatives/items/" + INIT_ID, [("f", "geojson")])
query_targets("GET", ep, "/collections/regions-gemeente/items/" + GM, [("simplify", "0.001")], note="regions-gemeente")
header_target("GET", ep, "If-None-Match", '"0123456789abcdef"*', "/collections/initiatives/items/" + INIT_ID)

ep = "/collections/{collectionId}/clusters"
path_target("GET", ep, "collectionId", "/collections/initiatives*/clusters?zoom=8")
query_targets("GET", ep, "/collections/initiatives/clusters", [
    ("zoom", "8"), ("bbox", BBOX), ("f", "geojson"), ("region", AM), ("route_kind", props["route_kind"]),
    ("niveau", str(props["niveaus"][0])), ("profiel", (props["profielen"] or ["ZW"])[0]),
    ("leerweg", props["leerwegen"][0]), ("opleidingsdomein", props["opleidingsdomeinen"][0]),
    ("brin", BRIN), ("q", QWORD), ("start_year", str(props["start_year"]))], fixed=[("zoom", "8")])
header_target("GET", ep, "If-None-Match", '"0123456789abcdef"*', "/collections/initiatives/clusters?zoom=8")

ep = "/collections/{collectionId}/tiles"
path_target("GET", ep, "collectionId", "/collections/initiatives*/tiles")
query_targets("GET", ep, "/collections/initiatives/tiles", [("f", "json")])
header_target("GET", ep, "If-None-Match", '"0123456789abcdef"*', "/collections/initiatives/tiles")

ep = "/collections/{collectionId}/tiles/{z}/{x}/{y}"
tile = "/collections/initiatives/tiles/%d/%d/%d" % (Z, TX, TY)
path_target("GET", ep, "collectionId", "/collections/initiatives*/tiles/%d/%d/%d" % (Z, TX, TY))
path_target("GET", ep, "collectionId", "/collections/regions-gemeente*/tiles/%d/%d/%d" % (Z, TX, TY), note="regions-gemeente")
path_target("GET", ep, "z", "/collections/initiatives/tiles/%d*/%d/%d" % (Z, TX, TY))
path_target("GET", ep, "x", "/collections/initiatives/tiles/%d/%d*/%d" % (Z, TX, TY))
path_target("GET", ep, "y", "/collections/initiatives/tiles/%d/%d/%d*" % (Z, TX, TY))
query_targets("GET", ep, tile, [("f", "mvt")])
header_target("GET", ep, "If-None-Match", '"0123456789abcdef"*', tile)

# submissions, with the edit token
# contacts[].id is meant for patches (it keeps an existing contact person)
DOC_CONTACT_ID = dict(DOC, contacts=[dict({"id": 1}, **DOC["contacts"][0])])
SUBMISSION_DOCS = [("", DOC), ("located by a point", DOC_POINT), ("no mbo location: 422", DOC_MBO_VEST),
                   ("", DOC_CONTACT_ID)]
seen_body = set()


def body_targets(method, endpoint, make_request, docs, patch=False):
    """One target per property of the document: make_request(doc_text) -> (url, data, headers)."""
    for note, doc in docs:
        for path, value in leaves(doc):
            key = schema_key(path, doc)
            if (endpoint, method, key) in seen_body:
                continue
            seen_body.add((endpoint, method, key))
            if patch:
                top = path[0]
                body = {top: doc[top]}
            else:
                body = doc
            t = add(method, endpoint, "body " + pointer(path), "body",
                    lambda body=body, path=path: make_request(marked(body, path)),
                    note=note.strip(), key="body " + key)
            t.slow = True


def post_submission(text):
    return BASE + "/submissions", text, {"Content-Type": "application/json"}


body_targets("POST", "/submissions", post_submission, SUBMISSION_DOCS)
header_target("POST", "/submissions", "Idempotency-Key", "sqlmap-0001*", "/submissions",
              {"Content-Type": "application/json"}, json.dumps(DOC)).slow = True
header_target("POST", "/submissions", "Accept-Language", "en*", "/submissions",
              {"Content-Type": "application/json"}, json.dumps({"name": "x"}), note="a refused body")


def with_submission(build):
    def make():
        sid, token, cid = new_submission()
        return build(sid, token, cid)
    return make


ep = "/submissions/{submissionId}"
add("GET", ep, "submissionId", "path", with_submission(lambda s, t, c: (BASE + "/submissions/%s*" % s, None, bearer(t))))
add("GET", ep, "Authorization", "header", with_submission(
    lambda s, t, c: (BASE + "/submissions/" + s, None, {"Authorization": "Bearer %s*" % t})), note="edit token")
add("PATCH", ep, "submissionId", "path", with_submission(lambda s, t, c: (
    BASE + "/submissions/%s*" % s, json.dumps({"name": "Leerroute Zorg Zwolle"}),
    dict(bearer(t), **{"Content-Type": "application/json"}))))
add("PATCH", ep, "Authorization", "header", with_submission(lambda s, t, c: (
    BASE + "/submissions/" + s, json.dumps({"name": "Leerroute Zorg Zwolle"}),
    {"Authorization": "Bearer %s*" % t, "Content-Type": "application/json"})), note="edit token")
add("PATCH", ep, "Accept-Language", "header", with_submission(lambda s, t, c: (
    BASE + "/submissions/" + s, json.dumps({"name": "x"}),
    dict(bearer(t), **{"Content-Type": "application/json", "Accept-Language": "en*"}))), note="a refused patch")


def body_patch_targets(endpoint, auth):
    """PATCH targets: a fresh submission each; contacts carry the id of its contact person."""
    for note, doc in SUBMISSION_DOCS:
        for path, value in leaves(doc):
            key = schema_key(path, doc)
            if (endpoint, "PATCH", key) in seen_body:
                continue
            seen_body.add((endpoint, "PATCH", key))

            def make(path=path, doc=doc):
                sid, token, cid = new_submission()
                top = path[0]
                member = json.loads(json.dumps(doc[top]))
                if top == "contacts":  # keep the contact person the submission has
                    member[0] = dict(member[0], id=int(cid))
                if top == "location" and "lon" in member:  # a point instead of the school location
                    member = dict(member, vestigingscode=None)
                headers = dict(auth(token), **{"Content-Type": "application/json"})
                return BASE + endpoint.replace("{submissionId}", sid), marked({top: member}, path), headers
            t = add("PATCH", endpoint, "body " + pointer(path), "body", make, note=note.strip(), key="body " + key)
            t.slow = True


body_patch_targets("/submissions/{submissionId}", bearer)
add("DELETE", ep, "submissionId", "path", with_submission(lambda s, t, c: (BASE + "/submissions/%s*" % s, None, bearer(t))))
add("DELETE", ep, "Authorization", "header", with_submission(
    lambda s, t, c: (BASE + "/submissions/" + s, None, {"Authorization": "Bearer %s*" % t})), note="edit token")

ep = "/submissions/{submissionId}/contacts/{contactId}"
add("DELETE", ep, "submissionId", "path", with_submission(
    lambda s, t, c: (BASE + "/submissions/%s*/contacts/%s" % (s, c), None, bearer(t))))
add("DELETE", ep, "contactId", "path", with_submission(
    lambda s, t, c: (BASE + "/submissions/%s/contacts/%s*" % (s, c), None, bearer(t))))
add("DELETE", ep, "Authorization", "header", with_submission(
    lambda s, t, c: (BASE + "/submissions/%s/contacts/%s" % (s, c), None, {"Authorization": "Bearer %s*" % t})),
    note="edit token")

# moderation, with the moderator's key
KEY_ID, KEY_SECRET = re.match(r"^(rkk_\d+)(_.*)$", MODERATOR).groups()
MOD_MARKED = {"Authorization": "Bearer %s*%s" % (KEY_ID, KEY_SECRET)}
AKEY_ID, AKEY_SECRET = re.match(r"^(rkk_\d+)(_.*)$", ANALYST).groups()
ANA_MARKED = {"Authorization": "Bearer %s*%s" % (AKEY_ID, AKEY_SECRET)}
MOD = bearer(MODERATOR)

ep = "/admin/submissions"
query_targets("GET", ep, ep, [("status", "pending"), ("limit", "5"), ("offset", "1")], headers=MOD)
header_target("GET", ep, "Authorization", MOD_MARKED["Authorization"], ep, note="API key id")

ep = "/admin/submissions/{submissionId}"
JSONH = {"Content-Type": "application/json"}
add("GET", ep, "submissionId", "path", with_submission(lambda s, t, c: (BASE + "/admin/submissions/%s*" % s, None, MOD)))
add("GET", ep, "Authorization", "header", with_submission(
    lambda s, t, c: (BASE + "/admin/submissions/" + s, None, MOD_MARKED)), note="API key id")
add("PATCH", ep, "submissionId", "path", with_submission(lambda s, t, c: (
    BASE + "/admin/submissions/%s*" % s, json.dumps({"name": "Leerroute Zorg Zwolle"}), dict(MOD, **JSONH))))
add("PATCH", ep, "Authorization", "header", with_submission(lambda s, t, c: (
    BASE + "/admin/submissions/" + s, json.dumps({"name": "Leerroute Zorg Zwolle"}), dict(MOD_MARKED, **JSONH))),
    note="API key id")
add("PATCH", ep, "Accept-Language", "header", with_submission(lambda s, t, c: (
    BASE + "/admin/submissions/" + s, json.dumps({"name": "x"}), dict(MOD, **JSONH, **{"Accept-Language": "en*"}))),
    note="a refused patch")
body_patch_targets(ep, lambda token: MOD)

for action, body in (("approve", None), ("reject", {"reason": "Geen mbo-partner bevestigd."}),
                     ("withdraw", {"reason": "De route wordt niet meer aangeboden."})):
    ep = "/admin/submissions/{submissionId}/" + action
    data = json.dumps(body) if body else None
    h = dict(MOD, **JSONH) if body else MOD
    add("POST", ep, "submissionId", "path", with_submission(
        lambda s, t, c, action=action, data=data, h=h: (BASE + "/admin/submissions/%s*/%s" % (s, action), data, h)))
    add("POST", ep, "Authorization", "header", with_submission(
        lambda s, t, c, action=action, data=data, h=h: (
            BASE + "/admin/submissions/%s/%s" % (s, action), data, dict(h, **MOD_MARKED))), note="API key id")
    if body:
        add("POST", ep, "body /reason", "body", with_submission(
            lambda s, t, c, action=action, body=body: (
                BASE + "/admin/submissions/%s/%s" % (s, action), marked(body, ("reason",)), dict(MOD, **JSONH))),
            key="body reason")
        add("POST", ep, "Accept-Language", "header", with_submission(
            lambda s, t, c, action=action: (BASE + "/admin/submissions/%s/%s" % (s, action), json.dumps({"reason": ""}),
                                            dict(MOD, **JSONH, **{"Accept-Language": "en*"}))), note="a refused body")

ep = "/admin/contacts/{contactId}"
add("DELETE", ep, "contactId", "path", with_submission(lambda s, t, c: (BASE + "/admin/contacts/%s*" % c, None, MOD)))
add("DELETE", ep, "Authorization", "header", with_submission(
    lambda s, t, c: (BASE + "/admin/contacts/" + c, None, MOD_MARKED)), note="API key id")


# each school-contact target has a school location of its own (DELETE removes the contact)
SCHOOLS = [f["id"] for f in must("GET", "/collections/schools/items?limit=40&vmbo=true")["features"]]


def school_target(method, name, where, build, note="", key=None, contact=True):
    code = SCHOOLS.pop()

    def make():
        if contact:
            must("PUT", "/admin/schools/%s/contact" % code, SCHOOL_CONTACT, MOD)
        return build(code, "/admin/schools/%s/contact" % code)
    add(method, "/admin/schools/{vestigingscode}/contact", name, where, make, note, key)


for method in ("GET", "DELETE", "PUT"):
    data = json.dumps(SCHOOL_CONTACT) if method == "PUT" else None
    h = dict(MOD, **JSONH) if method == "PUT" else MOD
    school_target(method, "vestigingscode", "path",
                  lambda code, path, data=data, h=h: (BASE + "/admin/schools/%s*/contact" % code, data, h))
    school_target(method, "Authorization", "header",
                  lambda code, path, data=data, h=h: (BASE + path, data, dict(h, **MOD_MARKED)), note="API key id")
school_target("PUT", "Accept-Language", "header", lambda code, path: (
    BASE + path, json.dumps({"name": "x"}), dict(MOD, **JSONH, **{"Accept-Language": "en*"})), note="a refused body")
for leaf, value in leaves(SCHOOL_CONTACT):
    school_target("PUT", "body " + pointer(leaf), "body", lambda code, path, leaf=leaf: (
        BASE + path, marked(SCHOOL_CONTACT, leaf), dict(MOD, **JSONH)), key="body " + "/".join(leaf), contact=False)

ep = "/admin/audit"
query_targets("GET", ep, ep, [("entity", "initiative"), ("entity_id", INIT_ID), ("actor", "submitter"),
                              ("since", "2020-01-01"), ("until", "2100-01-01"), ("limit", "5"), ("offset", "1")],
              headers=MOD)
header_target("GET", ep, "Authorization", MOD_MARKED["Authorization"], ep, note="API key id")

# overviews
ep = "/overviews/{regionType}"
path_target("GET", ep, "regionType", "/overviews/arbeidsmarktregio*")
query_targets("GET", ep, "/overviews/arbeidsmarktregio", [("as_of", TODAY), ("f", "json"), ("sep", "semicolon")])
query_targets("GET", ep, "/overviews/provincie", [("simplify", "0.001")], fixed=[("f", "geojson")])
header_target("GET", ep, "If-None-Match", '"0123456789abcdef"*', "/overviews/arbeidsmarktregio")
ep = "/overviews/{regionType}/coverage"
path_target("GET", ep, "regionType", "/overviews/arbeidsmarktregio*/coverage")
query_targets("GET", ep, "/overviews/arbeidsmarktregio/coverage", [("as_of", TODAY), ("f", "json"), ("sep", "semicolon")])
header_target("GET", ep, "If-None-Match", '"0123456789abcdef"*', "/overviews/arbeidsmarktregio/coverage")
ep = "/overviews/{regionType}/{code}"
path_target("GET", ep, "regionType", "/overviews/arbeidsmarktregio*/" + AM)
path_target("GET", ep, "code", "/overviews/arbeidsmarktregio/%s*" % AM)
query_targets("GET", ep, "/overviews/arbeidsmarktregio/" + AM, [("as_of", TODAY), ("f", "json"), ("sep", "semicolon")])
query_targets("GET", ep, "/overviews/arbeidsmarktregio/" + AM, [("simplify", "0.001")], fixed=[("f", "geojson")])
header_target("GET", ep, "If-None-Match", '"0123456789abcdef"*', "/overviews/arbeidsmarktregio/" + AM)
ep = "/overviews/{regionType}/{code}/contacts"
ANA = bearer(ANALYST)
path_target("GET", ep, "regionType", "/overviews/gemeente*/%s/contacts" % GM, headers=ANA)
path_target("GET", ep, "code", "/overviews/gemeente/%s*/contacts" % GM, headers=ANA)
query_targets("GET", ep, "/overviews/gemeente/%s/contacts" % GM, [("f", "json"), ("sep", "semicolon")], headers=ANA)
header_target("GET", ep, "Authorization", ANA_MARKED["Authorization"], "/overviews/gemeente/%s/contacts" % GM,
              note="API key id")

NO_PARAMETERS = []  # operations of openapi.yaml without any parameter: nothing to inject


# --- every parameter of openapi.yaml has a target ------------------------------------------------

def body_keys(schema, prefix="", role=None):
    """Property paths of a request body schema (array items as [], parties under their role)."""
    schema = resolve(schema)
    out = set()
    for k in ("oneOf", "anyOf", "allOf"):
        if k in schema:
            for s in schema[k]:
                out |= body_keys(s, prefix, role)
            return out
    if schema.get("type") == "array" or "items" in schema:
        item = resolve(schema["items"])
        if prefix.endswith("parties"):
            for s in resolve(item).get("oneOf", [item]):
                out |= body_keys(s, prefix, "party")
            return out
        return body_keys(item, prefix + "[]")
    if schema.get("type") == "object" or "properties" in schema:
        props_ = schema.get("properties", {})
        if role == "party":
            r = resolve(props_.get("role", {})).get("enum", [""])[0]
            prefix = prefix + "[%s]" % r
        for name, s in props_.items():
            s = resolve(s)
            if s.get("readOnly"):
                continue
            out |= body_keys(s, (prefix + "/" if prefix else "") + name)
        return out
    if prefix:
        out.add(prefix)
    return out


wanted = {}
for path, ops in SPEC["paths"].items():
    common = ops.get("parameters", [])
    for method, op in ops.items():
        if method == "parameters":
            continue
        M = method.upper()
        need = set()
        for p in common + op.get("parameters", []):
            p = resolve(p)
            need.add((p["in"], p["name"]))
        if op.get("security"):
            need.add(("header", "Authorization"))
        rb = resolve(op.get("requestBody", {}))
        for ct, media in rb.get("content", {}).items():
            if "json" in ct:
                for k in body_keys(media["schema"]):
                    need.add(("body", "body " + k))
        if not need:
            NO_PARAMETERS.append("%s %s" % (M, path))
        wanted["%s %s" % (M, path)] = need
# a merge patch's schema is the document's: both PATCHes take every property of a submission
for ep in ("PATCH /submissions/{submissionId}", "PATCH /admin/submissions/{submissionId}"):
    wanted[ep] |= {w for w in wanted["POST /submissions"] if w[0] == "body"}
have = {}
for t in targets:
    have.setdefault(t.label, set()).add((t.where, t.key))
missing = []
for ep, need in sorted(wanted.items()):
    for where, name in sorted(need):
        if (where, name) not in have.get(ep, set()):
            missing.append("%s: %s %s" % (ep, where, name))
unknown = sorted(ep for ep in have if ep not in wanted)
if missing or unknown:
    for m in missing:
        log("no target for " + m)
    for u in unknown:
        log("a target for an operation openapi.yaml does not have: " + u)
    sys.exit(2)

if ONLY:
    targets = [t for t in targets if re.search(ONLY, "%s %s" % (t.label, t.param))]
    NO_PARAMETERS = [ep for ep in NO_PARAMETERS if re.search(ONLY, ep)]
# quick ones first: what they leave is there for the slow ones
targets.sort(key=lambda t: t.slow)


# --- running ------------------------------------------------------------------------------------

lock = threading.Lock()
running = set()
started = 0
deadline = time.monotonic() + BUDGET_MIN * 60 if BUDGET_MIN > 0 else None
stopping = False


def slug(i, t):
    s = re.sub(r"[^A-Za-z0-9]+", "-", "%s %s %s %s" % (t.method, t.endpoint, t.param, t.note)).strip("-")
    return "%03d-%s" % (i, s[:90])


def server_alive():
    try:
        with urllib.request.urlopen(BASE + "/healthz", timeout=10) as r:
            return r.status == 200
    except Exception:
        return False


CANDIDATE = re.compile(r"parameter '[^']*' (?:appears to be|is) '([^']*)' injectable")
FALSE_POSITIVE = re.compile(r"false positive or unexploitable injection point detected")


def verdict(out, cut):
    if re.search(r"identified the following injection point|resumed the following injection point", out):
        return "INJECTABLE"
    pos = [m.end() for m in CANDIDATE.finditer(out)]
    fp = [m.end() for m in FALSE_POSITIVE.finditer(out)]
    if pos and (not fp or max(pos) > max(fp)):
        return "INJECTABLE?"
    if cut:
        return "cut"
    if re.search(r"all tested parameters do not appear to be injectable|does not seem to be injectable", out):
        return "not injectable"
    crit = re.findall(r"\[CRITICAL\] (.*)", out)
    return "ERROR: " + (crit[-1][:80] if crit else "no verdict in the sqlmap output")


def sqlmap_command(t, url, data, headers, d, n, skip):
    suffix = "" if n == 1 else "-%d" % n
    cmd = ["sqlmap", "-u", url, "--batch", "--level", LEVEL, "--risk", RISK, "--technique", TECHNIQUE,
           "--dbms", "PostgreSQL", "--flush-session", "--output-dir", os.path.join(d, "out" + suffix),
           "-t", os.path.join(d, "traffic%s.txt" % suffix), "--disable-coloring", "--ignore-code", "*",
           "--time-sec", "5", "--timeout", "40", "--retries", "1"]
    # only the marked place: sqlmap would otherwise add the end of the URL, and at these levels
    # User-Agent, Referer and Host, to a run whose marker is in a header
    # (sqlmap names a body place after the method: "(custom) POST", "(custom) PATCH (body)")
    body_place = "(custom) POST" if t.method == "POST" else "(custom) %s (body)" % t.method
    cmd += ["--param-filter", {"header": "(custom) HEADER", "body": body_place}.get(t.where, "URI")]
    if skip:
        cmd += ["--test-skip", "^(?:%s)$" % "|".join(re.escape(x) for x in skip)]
    if t.method != "GET":
        cmd += ["--method", t.method]
    if data is not None:
        cmd += ["--data", data]
    for k, v in headers.items():
        cmd += ["-H", "%s: %s" % (k, v)]
    return cmd


def run_one(i, t):
    """Runs sqlmap on one target. When sqlmap drops a candidate as a false positive (answers that
    differ for reasons of their own: a timestamp, a length limit that a longer payload crosses),
    it skips the other tests of that technique; the target is then run again without the
    rejected tests, at most twice more, so that every test is still made."""
    global started
    with lock:
        if stopping:
            return None
        left = len(targets) - started
        started += 1
        share = None
        if deadline is not None:
            share = max(MIN_SHARE, (deadline - time.monotonic()) * JOBS / max(left, 1))
    d = os.path.join(RUN, slug(i, t))
    os.makedirs(d, exist_ok=True)
    start = time.monotonic()
    requests, codes, skip, result = 0, {}, [], None
    env = dict(os.environ, TERM="dumb")
    for n in (1, 2, 3):
        try:
            url, data, headers = t.make()  # a fresh fixture for every run
        except BaseException as e:  # a fixture failed: that is this target's result
            result = "ERROR: fixture: %s" % str(e)[:70]
            break
        assert url.startswith(BASE + "/")
        suffix = "" if n == 1 else "-%d" % n
        cmd = sqlmap_command(t, url, data, headers, d, n, skip)
        with open(os.path.join(d, "command%s.txt" % suffix), "w") as f:
            f.write(" ".join(shlex.quote(c) for c in cmd) + "\n")
        left = None if share is None else max(1.0, share - (time.monotonic() - start))
        with open(os.path.join(d, "sqlmap%s.log" % suffix), "w") as logf:
            p = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
            with lock:
                running.add(p)
            cut = False
            try:
                p.wait(timeout=left)
            except subprocess.TimeoutExpired:
                cut = True
                p.kill()
                p.wait()
            finally:
                with lock:
                    running.discard(p)
        out = open(os.path.join(d, "sqlmap%s.log" % suffix), errors="replace").read()
        traffic = ""
        if os.path.exists(os.path.join(d, "traffic%s.txt" % suffix)):
            traffic = open(os.path.join(d, "traffic%s.txt" % suffix), errors="replace").read()
        for m in re.finditer(r"HTTP response \[#\d+\] \((\d{3})", traffic):
            codes[m.group(1)] = codes.get(m.group(1), 0) + 1
        requests += len(re.findall(r"HTTP request \[#\d+\]", traffic))
        result = verdict(out, cut)
        rejected = [m.group(1) for m in CANDIDATE.finditer(out)] if FALSE_POSITIVE.search(out) else []
        skip += [x for x in rejected if x not in skip]
        if result != "not injectable" or not rejected or n == 3:
            break
    if skip:
        with open(os.path.join(d, "rejected.txt"), "w") as f:
            f.write("".join(x + "\n" for x in skip))
        if result == "not injectable":
            result = "not injectable (%d run%s; sqlmap rejected %d candidate%s as false positive%s)" % (
                n, "" if n == 1 else "s", len(skip), "" if len(skip) == 1 else "s", "" if len(skip) == 1 else "s")
    if "429" in codes and result.startswith("not injectable"):
        result = "ERROR: rate-limited (429) answers"
    return {"t": t, "requests": requests, "codes": codes, "result": result, "secs": time.monotonic() - start,
            "dir": d, "runs": n}


log("sqlmap: %d targets, level %s, risk %s, techniques %s, %d at a time, %s" % (
    len(targets), LEVEL, RISK, TECHNIQUE, JOBS,
    "budget %g min" % BUDGET_MIN if deadline else "no time bound"))
log("sqlmap: output in %s" % RUN)
t0 = time.monotonic()
results = []
try:
    with concurrent.futures.ThreadPoolExecutor(JOBS) as pool:
        futures = [pool.submit(run_one, i + 1, t) for i, t in enumerate(targets)]
        done = 0
        for fut in concurrent.futures.as_completed(futures):
            r = fut.result()
            if r is None:
                continue
            results.append(r)
            done += 1
            t = r["t"]
            log("[%3d/%d] %-62s %-34s %6d requests %5.0fs  %s" % (
                done, len(targets), t.label[:62], (t.param + (" (%s)" % t.note if t.note else ""))[:34],
                r["requests"], r["secs"], r["result"]))
            if not server_alive():
                log("sqlmap: the server stopped answering after %s %s" % (t.label, t.param))
                with lock:
                    stopping = True
                    for p in running:
                        p.kill()
                results.append({"t": t, "requests": 0, "codes": {}, "result": "ERROR: server down after this run",
                                "secs": 0, "dir": ""})
                break
except KeyboardInterrupt:
    with lock:
        stopping = True
        for p in running:
            p.kill()
    raise
elapsed = time.monotonic() - t0

# --- the table ------------------------------------------------------------------------------------

order = {id(t): i for i, t in enumerate(sorted(targets, key=lambda t: (list(SPEC["paths"]).index(t.endpoint), t.method)))}
results.sort(key=lambda r: order.get(id(r["t"]), 1 << 30))
rows = []
for r in results:
    t = r["t"]
    res = r["result"]
    if res == "cut":
        res = "not injectable (cut at %ds: no injection in %d requests)" % (r["secs"], r["requests"])
    codes = " ".join("%s:%d" % kv for kv in sorted(r["codes"].items()))
    rows.append((t.label, t.param + (" (%s)" % t.note if t.note else ""), str(r["requests"]), codes, res))
for ep in NO_PARAMETERS:
    rows.append((ep, "(no parameters)", "0", "", "nothing to inject"))
head = ("endpoint", "parameter", "requests", "answers (HTTP status:count)", "result")
w = [max(len(x[i]) for x in rows + [head]) for i in range(5)]
w[3] = min(w[3], 44)
lines = []
fmt = "%-{0}s  %-{1}s  %{2}s  %-{3}s  %s".format(*w[:4])
lines.append(fmt % head)
lines.append(fmt % (tuple("-" * n for n in w[:4]) + ("-" * 14,)))
for row in rows:
    lines.append(fmt % (row[0], row[1], row[2], row[3][:44], row[4]))
injectable = [r for r in results if r["result"].startswith("INJECTABLE")]
errors = [r for r in results if r["result"].startswith("ERROR")]
cut = [r for r in results if r["result"] == "cut"]
total = sum(r["requests"] for r in results)
five = sum(n for r in results for c, n in r["codes"].items() if c.startswith("5"))
summary = ["",
           "%d parameters, %d requests in %.1f minutes (level %s, risk %s, %s, %d at a time)." % (
               len(results), total, elapsed / 60, LEVEL, RISK, TECHNIQUE, JOBS),
           "injectable: %d   errors: %d   cut at the time bound: %d   5xx answers: %d" % (
               len(injectable), len(errors), len(cut), five)]
if cut:
    # a run cut at the time bound proves nothing about the tests it did not reach: the run fails
    summary.append("INCOMPLETE: %d parameters were cut at the time bound before sqlmap finished its tests; "
                   "they are not proved safe (SQLMAP_BUDGET_MINUTES=0 runs every test to the end):" % len(cut))
    for r in cut:
        summary.append("UNTESTED IN PART: %s %s (%d requests in %ds)" % (r["t"].label, r["t"].param,
                                                                         r["requests"], r["secs"]))
for r in injectable:
    summary.append("INJECTABLE: %s %s -- see %s/sqlmap.log" % (r["t"].label, r["t"].param, r["dir"]))
for r in errors:
    summary.append("ERROR: %s %s: %s -- see %s" % (r["t"].label, r["t"].param, r["result"], r["dir"]))
text = "\n".join(lines + summary) + "\n"
sys.stdout.write("\n" + text)
with open(os.path.join(RUN, "results.txt"), "w") as f:
    f.write(text)
with open(os.path.join(RUN, "results.tsv"), "w") as f:
    f.write("\t".join(("endpoint", "parameter", "requests", "answers", "result", "seconds", "dir")) + "\n")
    for r, row in zip(results, rows):
        f.write("\t".join(row + ("%.0f" % r["secs"], r["dir"])) + "\n")
sys.exit(3 if injectable else 2 if errors else 4 if cut else 0)
