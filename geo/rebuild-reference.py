#!/usr/bin/env python3
"""The text half of geo/rebuild-reference.sh (which see): reads the official downloads and writes
what needs no geometry; PostGIS (geo/rebuild-reference.sql) does the rest.

  rebuild-reference.py prepare STAGE OUT --gemeenten F --provincies F --arbeidsmarktregios F
                       --rmc F --duo-vestigingen F --bag F [--duo-leerlingen F] --geonames F
                       [--suspect-pc4 LIST]
  rebuild-reference.py finish STAGE OUT

prepare writes the gemeenten and region layers as CSV rows (code, name, srid, GeoJSON geometry)
and the averaged PC4 points into STAGE, and OUT/schools/vo_vestigingen.csv. finish reads what the
SQL wrote into STAGE and writes OUT/regions/*.geojson, OUT/regions/gemeente_regio.csv and
OUT/postcode/pc4_centroids.csv. Every output is sorted by its key, so the same inputs give the
same bytes. Python standard library only.
"""
import argparse
import collections
import csv
import io
import json
import math
import os
import re
import statistics
import sys
import unicodedata

# DUO's GEMEENTENAAM that the normalised CBS statnaam does not give (CBS adds the province to the
# names several gemeenten share with a place elsewhere, and abbreviates none).
GEMEENTE_ALIASES = {
    "HENGELO": "GM0164",          # Hengelo (O.)
    "LAREN": "GM0417",            # Laren (NH.)
    "MIDDELBURG": "GM0687",       # Middelburg (Z.)
    "NUENEN CA": "GM0820",        # Nuenen, Gerwen en Nederwetten
    "RIJSWIJK": "GM0603",         # Rijswijk (ZH.)
    "STEIN": "GM0971",            # Stein (L.)
    "SUDWEST-FRYSLAN": "GM1900",  # Súdwest-Fryslân
}

# PC4s whose single GeoNames position was judged wrong (25-83 km from the other PC4s with the
# same first three digits; 5217 lies in The Hague). A judgement, not a rule: prepare lists the
# candidates it sees for a new review.
SUSPECT_PC4 = "3062,5217,5442,7146"

# ONDERWIJSSTRUCTUUR values of speciaal onderwijs, which the map does not show.
SO_STRUCTURES = {"VSO", "(V)SO", "SO", "SBAO"}

PC4_SPREAD_KM = 3.0     # a PC4 whose GeoNames entries lie further apart than this ...
PC4_KEEP_KM = 5.0       # ... keeps the entries within this of the one nearest its neighbours
SUSPECT_REVIEW_KM = 25.0

SCHOOL_FIELDS = ["vestigingscode", "brin", "vestigingsnummer", "naam", "onderwijsstructuur", "vmbo",
                 "denominatie", "straat", "huisnummer", "huisletter", "huisnummertoevoeging",
                 "postcode", "plaats", "gemeente_code", "gemeente_duo", "provincie",
                 "onderwijsgebied", "leerlingen", "internetadres", "lon", "lat"]
REGION_FIELDS = ["gemeente_code", "gemeente_name", "provincie_code", "provincie_name",
                 "arbeidsmarktregio_code", "arbeidsmarktregio_name", "rmc_code", "rmc_name"]
PC4_FIELDS = ["pc4", "lat", "lon", "plaats", "gemeente_code", "geonames_gemeente_code",
              "n_entries", "suspect"]
LAYERS = [("provincie", "PV"), ("arbeidsmarktregio", "AM"), ("rmc", "MC")]


class Refused(Exception):
    pass


def note(msg):
    print("rebuild-reference: " + msg, file=sys.stderr)


# ---------------------------------------------------------------- reading

def read_text(path):
    """The file as text: UTF-8 (with or without BOM), else Windows-1252 (as DUO serves it)."""
    raw = open(path, "rb").read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def read_table(path, required):
    """Rows of a delimited file with a header as dicts keyed by upper-case header names; the
    separator (';' or ',') is taken from the header line."""
    text = read_text(path)
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header = [h.strip().upper() for h in next(reader)]
    missing = [c for c in required if c not in header]
    if missing:
        raise Refused("%s: no column %s (header: %s)" % (path, ", ".join(missing), ", ".join(header)))
    for line in reader:
        if line and any(v.strip() for v in line):
            yield {h: (line[i].strip() if i < len(line) else "") for i, h in enumerate(header)}


def srid_of(collection, path):
    """The EPSG code the GeoJSON's crs member names; none means RFC 7946 (4326)."""
    crs = collection.get("crs")
    if not crs:
        return 4326
    name = str(crs.get("properties", {}).get("name", ""))
    if re.search(r"CRS84$", name):
        return 4326
    m = re.search(r"EPSG:+(\d+)$", name)
    if not m:
        raise Refused("%s: unknown crs %r" % (path, name))
    return int(m.group(1))


def read_layer(path, prefix):
    """(code, name, srid, geometry text) of each feature of a PDOK 'CBS Gebiedsindelingen' layer."""
    collection = json.loads(read_text(path))
    srid = srid_of(collection, path)
    rows, seen = [], set()
    for f in collection.get("features", []):
        p = {k.lower(): v for k, v in (f.get("properties") or {}).items()}
        code, name = str(p.get("statcode", "")).strip(), str(p.get("statnaam", "")).strip()
        if not re.fullmatch(prefix + (r"\d{4}" if prefix == "GM" else r"\d{2}"), code):
            raise Refused("%s: feature with statcode %r, not a %s code" % (path, code, prefix))
        if code in seen:
            raise Refused("%s: statcode %s twice" % (path, code))
        if not name or not f.get("geometry"):
            raise Refused("%s: %s without statnaam or geometry" % (path, code))
        seen.add(code)
        rows.append((code, name, srid, json.dumps(f["geometry"], separators=(",", ":"))))
    if not rows:
        raise Refused("%s: no features" % path)
    return sorted(rows)


def write_csv(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


# ---------------------------------------------------------------- schools

def name_key(name):
    """A gemeente name as compared: upper case, no accents, punctuation as space, one space."""
    s = unicodedata.normalize("NFKD", name)
    s = "".join(c for c in s if not unicodedata.combining(c)).upper()
    s = re.sub(r"[^A-Z0-9]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def suffix_key(s):
    return re.sub(r"[\s\-]+", "", s).upper()


def read_bag(path, wanted):
    """NLExtract's BAG address CSV (openbareruimte;huisnummer;huisletter;huisnummertoevoeging;
    postcode;woonplaats;...;nevenadres;x;y;lon;lat): the address points of the postcodes wanted,
    by (postcode, huisnummer)."""
    cols = ["OPENBARERUIMTE", "HUISNUMMER", "HUISLETTER", "HUISNUMMERTOEVOEGING", "POSTCODE",
            "WOONPLAATS", "LON", "LAT"]
    points = collections.defaultdict(list)
    for n, r in enumerate(read_table(path, cols)):
        pc = r["POSTCODE"].replace(" ", "").upper()
        if pc not in wanted or not r["HUISNUMMER"].isdigit():
            continue
        neven = r.get("NEVENADRES", "").lower() in ("t", "true", "1", "j", "ja")
        points[(pc, int(r["HUISNUMMER"]))].append(
            (neven, r.get("OBJECT_ID", ""), n, r))
    return points


def match_address(candidates, suffix):
    """The BAG point of a DUO address: the one with DUO's letter and toevoeging, else the one
    without any, else the first; hoofdadressen before nevenadressen, then BAG object order."""
    ordered = sorted(candidates, key=lambda c: (c[0], c[1], c[2]))
    key = suffix_key(suffix)
    for want in ([key] if key else []) + [""]:
        for c in ordered:
            if suffix_key(c[3]["HUISLETTER"] + c[3]["HUISNUMMERTOEVOEGING"]) == want:
                return c[3]
    return ordered[0][3]


def rebuild_schools(args, gemeente_names, out):
    cols = ["VESTIGINGSNAAM", "STRAATNAAM", "HUISNUMMER-TOEVOEGING", "POSTCODE",
            "GEMEENTENAAM", "PROVINCIE", "DENOMINATIE", "ONDERWIJSSTRUCTUUR", "INTERNETADRES"]
    rows = list(read_table(args.duo_vestigingen, cols))
    code_col = "VESTIGINGSCODE" if rows and "VESTIGINGSCODE" in rows[0] else "VESTIGINGSNUMMER"
    if not rows or code_col not in rows[0]:
        raise Refused("%s: no rows, or no column VESTIGINGSCODE" % args.duo_vestigingen)
    by_name = {name_key(n): c for c, n in gemeente_names.items()}
    for alias, code in GEMEENTE_ALIASES.items():
        if code in gemeente_names:
            by_name.setdefault(name_key(alias), code)

    leerlingen = {}
    if args.duo_leerlingen:
        for r in read_table(args.duo_leerlingen, ["VESTIGINGSCODE", "AANTAL LEERLINGEN"]):
            n = r["AANTAL LEERLINGEN"].replace(".", "")
            leerlingen[r["VESTIGINGSCODE"].upper()] = n if n.isdigit() else ""   # '<5': unknown

    seen, kept, twice, so = set(), [], 0, 0
    for r in rows:
        code = r[code_col].upper()
        if not re.fullmatch(r"[0-9]{2}[A-Z]{2}[0-9]{2}", code):
            raise Refused("%s: vestigingscode %r" % (args.duo_vestigingen, code))
        if code in seen:
            twice += 1          # DUO lists a vestiging once; a repeat is dropped, the first kept
            continue
        seen.add(code)
        if r["ONDERWIJSSTRUCTUUR"].upper() in SO_STRUCTURES:
            so += 1
            continue
        kept.append((code, r))

    points = read_bag(args.bag, {r["POSTCODE"].replace(" ", "").upper() for _, r in kept})
    out_rows, unplaced, unknown, other_number = [], [], set(), []
    for code, r in kept:
        pc = r["POSTCODE"].replace(" ", "").upper()
        m = re.fullmatch(r"(\d+)\s*(.*)", r["HUISNUMMER-TOEVOEGING"])
        candidates = points.get((pc, int(m.group(1)))) if m else None
        if not candidates:
            unplaced.append(code)
            continue
        bag = match_address(candidates, m.group(2))
        gemeente = by_name.get(name_key(r["GEMEENTENAAM"]))
        if not gemeente:
            unknown.add(r["GEMEENTENAAM"])
            continue
        number = r.get("GEMEENTENUMMER", "")
        if number.isdigit() and "GM" + number.zfill(4) != gemeente:
            other_number.append(code)   # DUO's own number may lag a merger; the name decides
        structuur = r["ONDERWIJSSTRUCTUUR"]
        vmbo = "1" if re.search(r"\b(VBO|MAVO)\b", structuur.upper()) else "0"
        out_rows.append([
            code, code[:4], code[4:], r["VESTIGINGSNAAM"], structuur, vmbo, r["DENOMINATIE"],
            bag["OPENBARERUIMTE"], bag["HUISNUMMER"], bag["HUISLETTER"],
            bag["HUISNUMMERTOEVOEGING"], pc, bag["WOONPLAATS"], gemeente, r["GEMEENTENAAM"],
            r["PROVINCIE"], r.get("ONDERWIJSGEBIED NAAM", ""), leerlingen.get(code, ""),
            r["INTERNETADRES"], "%.6f" % float(bag["LON"]), "%.6f" % float(bag["LAT"])])
    if unknown:
        raise Refused("DUO gemeentenaam %s matches no CBS gemeente name: add an alias to "
                      "GEMEENTE_ALIASES in geo/rebuild-reference.py"
                      % ", ".join(repr(u) for u in sorted(unknown)))
    out_rows.sort()
    write_csv(os.path.join(out, "schools", "vo_vestigingen.csv"), SCHOOL_FIELDS, out_rows)
    note("schools: %d vestigingen (%d vmbo); %d repeated row(s) dropped, %d speciaal onderwijs left "
         "out, %d without a BAG address point left out%s"
         % (len(out_rows), sum(1 for x in out_rows if x[5] == "1"), twice, so, len(unplaced),
            (" (" + " ".join(unplaced[:10]) + (" ..." if len(unplaced) > 10 else "") + ")")
            if unplaced else ""))
    note("schools: %d where DUO's GEMEENTENUMMER differs from the gemeente of its name%s"
         % (len(other_number), (" (" + " ".join(other_number[:10]) + ")") if other_number else ""))


# ---------------------------------------------------------------- postcodes

def km(a, b):
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def rebuild_pc4(args, stage):
    """GeoNames NL.txt (tab-separated: country code, postal code, place name, admin name1, admin
    code1, admin name2, admin code2, admin name3, admin code3, latitude, longitude, accuracy)."""
    entries = collections.defaultdict(list)
    with open(args.geonames, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) < 11:
                raise Refused("%s:%d: %d fields, not 12" % (args.geonames, n, len(parts)))
            if parts[0] != "NL":
                continue
            m = re.fullmatch(r"([1-9][0-9]{3})(?: ?[A-Z]{2})?", parts[1].strip())
            if not m:
                raise Refused("%s:%d: postal code %r" % (args.geonames, n, parts[1]))
            entries[m.group(1)].append((float(parts[9]), float(parts[10]), parts[2], parts[6].strip()))
    singles = collections.defaultdict(list)
    for pc4, es in entries.items():
        if len(es) == 1:
            singles[pc4[:3]].append(es[0][:2])
    rows, dropped, spread = {}, 0, 0
    for pc4, es in entries.items():
        kept = es
        if len(es) > 1 and max(km(a, b) for a in es for b in es) > PC4_SPREAD_KM:
            spread += 1
            near = singles.get(pc4[:3]) or [e[:2] for e in es]
            centre = (statistics.median(p[0] for p in near), statistics.median(p[1] for p in near))
            anchor = min(es, key=lambda e: km(e, centre))
            kept = [e for e in es if km(e, anchor) <= PC4_KEEP_KM]
            dropped += len(es) - len(kept)
        lat = sum(e[0] for e in kept) / len(kept)
        lon = sum(e[1] for e in kept) / len(kept)
        gg = ("GM" + kept[0][3].zfill(4)) if kept[0][3] else ""
        rows[pc4] = ["%.5f" % lat, "%.5f" % lon, kept[0][2], gg, len(kept)]
    suspect = {s.strip() for s in args.suspect_pc4.split(",") if s.strip()}
    candidates = []
    for pc4, r in rows.items():
        others = [(float(o[0]), float(o[1])) for p, o in rows.items() if p[:3] == pc4[:3] and p != pc4]
        if r[4] == 1 and len(others) >= 2:
            centre = (statistics.median(p[0] for p in others), statistics.median(p[1] for p in others))
            if km((float(r[0]), float(r[1])), centre) > SUSPECT_REVIEW_KM:
                candidates.append(pc4)
    write_csv(os.path.join(stage, "pc4_in.csv"), ["pc4", "lat", "lon", "plaats",
              "geonames_gemeente_code", "n_entries", "suspect"],
              [[p] + r + ["1" if p in suspect else "0"] for p, r in sorted(rows.items())])
    note("postcodes: %d PC4 from %d GeoNames rows; %d spread over more than %g km, %d stray entries "
         "dropped; suspect: %s; single-entry PC4s over %g km from their neighbours, to review: %s"
         % (len(rows), sum(len(e) for e in entries.values()), spread, PC4_SPREAD_KM, dropped,
            ",".join(sorted(suspect & set(rows))) or "none", SUSPECT_REVIEW_KM,
            ",".join(sorted(candidates)) or "none"))


# ---------------------------------------------------------------- phases

def prepare(args):
    os.makedirs(args.stage, exist_ok=True)
    gemeenten = read_layer(args.gemeenten, "GM")
    write_csv(os.path.join(args.stage, "gemeente_in.csv"), ["code", "name", "srid", "geojson"], gemeenten)
    regions = []
    for (layer, prefix), path in zip(LAYERS, (args.provincies, args.arbeidsmarktregios, args.rmc)):
        regions += [(layer,) + r for r in read_layer(path, prefix)]
    write_csv(os.path.join(args.stage, "region_in.csv"), ["type", "code", "name", "srid", "geojson"], regions)
    note("regions: %d gemeenten; %s" % (len(gemeenten), ", ".join(
        "%d %s" % (sum(1 for r in regions if r[0] == layer), layer) for layer, _ in LAYERS)))
    rebuild_schools(args, {c: n for c, n, _, _ in gemeenten}, args.out)
    rebuild_pc4(args, args.stage)


def read_stage(stage, name):
    with open(os.path.join(stage, name), newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def write_geojson(path, features):
    """One feature a line, sorted by code, properties code and name (the snapshot's layout)."""
    lines = ['{"type":"Feature","geometry":%s,"properties":%s}'
             % (geom, json.dumps({"code": code, "name": name}, ensure_ascii=False, separators=(",", ":")))
             for code, name, geom in sorted(features)]
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"type":"FeatureCollection", "features": [\n' + ",\n".join(lines) + "\n]}")


def finish(args):
    regions = os.path.join(args.out, "regions")
    os.makedirs(regions, exist_ok=True)
    write_geojson(os.path.join(regions, "gemeente.geojson"), read_stage(args.stage, "gemeente_out.csv"))
    dissolved = read_stage(args.stage, "region_out.csv")
    for layer, _ in LAYERS:
        write_geojson(os.path.join(regions, layer + ".geojson"),
                      [r[1:] for r in dissolved if r[0] == layer])
    member = collections.defaultdict(dict)
    names = {}
    for gemeente, name, layer, code, rname in read_stage(args.stage, "membership_out.csv"):
        names[gemeente] = name
        member[gemeente][layer] = (code, rname)
    rows = []
    for g in sorted(member):
        row = [g, names[g]]
        for layer, _ in LAYERS:
            row += list(member[g][layer])
        rows.append(row)
    write_csv(os.path.join(regions, "gemeente_regio.csv"), REGION_FIELDS, rows)
    pc4 = read_stage(args.stage, "pc4_out.csv")
    write_csv(os.path.join(args.out, "postcode", "pc4_centroids.csv"), PC4_FIELDS, sorted(pc4))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("phase", choices=["prepare", "finish"])
    ap.add_argument("stage")
    ap.add_argument("out")
    for opt in ("gemeenten", "provincies", "arbeidsmarktregios", "rmc", "duo-vestigingen", "bag",
                "duo-leerlingen", "geonames"):
        ap.add_argument("--" + opt)
    ap.add_argument("--suspect-pc4", default=SUSPECT_PC4)
    args = ap.parse_args()
    try:
        if args.phase == "prepare":
            for opt in ("gemeenten", "provincies", "arbeidsmarktregios", "rmc", "duo_vestigingen",
                        "bag", "geonames"):
                if not getattr(args, opt):
                    raise Refused("--%s FILE is required" % opt.replace("_", "-"))
            prepare(args)
        else:
            finish(args)
    except Refused as e:
        note(str(e))
        return 1
    except (OSError, ValueError, KeyError) as e:
        note("%s: %s" % (type(e).__name__, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
