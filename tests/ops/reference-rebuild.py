#!/usr/bin/env python3
"""Helper of tests/ops/reference-rebuild.sh: turns the committed snapshot (geo/data) back into
files in the official formats, with rows added that exercise each rule of the rebuild.

  reference-rebuild.py features DATA_DIR OUT.csv        the snapshot's region features as CSV
                                                        (type, code, name, GeoJSON geometry)
  reference-rebuild.py inputs DATA_DIR STAGE IN_DIR     the official-format files, from the
                                                        snapshot and what the SQL wrote in STAGE

What `inputs` adds, and what the rebuild must do with it:
  - DUO: the rows shuffled; a stale GEMEENTENUMMER (reported; the name decides); a second row of an existing vestiging (dropped: the first is kept); a
    VSO vestiging (left out); a vestiging with no BAG point (left out). The DUO gemeentenaam
    spellings that need an alias (HENGELO, LAREN, ...) are in the snapshot itself.
  - BAG: decoy points at the schools' postcode and huisnummer with another huisletter, without
    the school's huisletter, or as a nevenadres, each listed before the real one (never chosen);
    addresses at other postcodes (ignored).
  - GeoNames: every averaged PC4 split back into its entries around the point; a stray entry 40 km
    off, listed first, for a few PC4s (dropped: the PC4 keeps its point, name and count).
  - leerlingen: suppressed counts ('<5') for some vestigingen without a count (left empty).
"""
import csv
import io
import json
import math
import os
import random
import sys

DUO_HEADER = ["PROVINCIE", "BEVOEGD GEZAG NUMMER", "INSTELLINGSCODE", "VESTIGINGSCODE",
              "VESTIGINGSNAAM", "STRAATNAAM", "HUISNUMMER-TOEVOEGING", "POSTCODE", "PLAATSNAAM",
              "GEMEENTENUMMER", "GEMEENTENAAM", "DENOMINATIE", "TELEFOONNUMMER", "INTERNETADRES",
              "ONDERWIJSSTRUCTUUR", "STRAATNAAM CORRESPONDENTIEADRES",
              "HUISNUMMER-TOEVOEGING CORRESPONDENTIEADRES", "POSTCODE CORRESPONDENTIEADRES",
              "PLAATSNAAM CORRESPONDENTIEADRES", "NODAAL GEBIED CODE", "NODAAL GEBIED NAAM",
              "RPA-GEBIED CODE", "RPA-GEBIED NAAM", "WGR-GEBIED CODE", "WGR-GEBIED NAAM",
              "COROPGEBIED CODE", "COROPGEBIED NAAM", "ONDERWIJSGEBIED CODE", "ONDERWIJSGEBIED NAAM",
              "RMC-REGIO CODE", "RMC-REGIO NAAM"]
BAG_HEADER = ["openbareruimte", "huisnummer", "huisletter", "huisnummertoevoeging", "postcode",
              "woonplaats", "gemeente", "provincie", "object_id", "object_type", "nevenadres",
              "x", "y", "lon", "lat"]
LEERLINGEN_HEADER = ["BEVOEGD GEZAG NUMMER", "INSTELLINGSCODE", "VESTIGINGSCODE",
                     "INSTELLINGSNAAM VESTIGING", "PLAATSNAAM", "GEMEENTENUMMER", "GEMEENTENAAM",
                     "PROVINCIE", "AANTAL LEERLINGEN", "AANTAL VO LEERLINGEN UITBESTEED AAN VAVO"]
STRAY_PC4 = ["1012", "3511", "5611", "9711"]   # PC4s in towns, each with close neighbours


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def features(data, out):
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["type", "code", "name", "geojson"])
        for layer in ("gemeente", "provincie", "arbeidsmarktregio", "rmc"):
            fc = json.load(open(os.path.join(data, "regions", layer + ".geojson"), encoding="utf-8"))
            for ft in fc["features"]:
                p = ft["properties"]
                w.writerow([layer, p["code"], p["name"], json.dumps(ft["geometry"], separators=(",", ":"))])


def pdok_layer(path, rows, srid):
    """A WFS GetFeature answer of PDOK's CBS Gebiedsindelingen as outputFormat=json gives it."""
    layer = {"gemeente": "gemeente_gegeneraliseerd", "provincie": "provincie_gegeneraliseerd",
             "arbeidsmarktregio": "arbeidsmarktregio_gegeneraliseerd",
             "rmc": "regionaalmeld_coordinatiepunt_gegeneraliseerd"}[rows[0][0]]
    fc = {"type": "FeatureCollection", "features": [], "totalFeatures": len(rows),
          "numberMatched": len(rows), "numberReturned": len(rows)}
    if srid != 4326:
        fc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::%d" % srid}}
    for i, (_, code, name, geom) in enumerate(reversed(rows), 1):
        fc["features"].append({"type": "Feature", "id": "%s.%d" % (layer, i),
                               "geometry": json.loads(geom), "geometry_name": "geom",
                               "properties": {"id": i, "statcode": code, "jrstatcode": "2025" + code,
                                              "statnaam": name, "rubriek": layer.split("_")[0]}})
    with open(path, "w", encoding="utf-8") as f:
        json.dump(fc, f, ensure_ascii=False)


def duo_files(data, into, rnd):
    schools = read_csv(os.path.join(data, "schools", "vo_vestigingen.csv"))
    duo, bag, leerlingen = [], [], []
    object_id = 1000000
    for n, s in enumerate(schools):
        nr = s["huisnummer"] + (" " + s["huisletter"] if s["huisletter"] else "") \
            + ("-" + s["huisnummertoevoeging"] if s["huisnummertoevoeging"] else "")
        row = {h: "" for h in DUO_HEADER}
        row.update({"PROVINCIE": s["provincie"], "BEVOEGD GEZAG NUMMER": str(40000 + n),
                    "INSTELLINGSCODE": s["brin"], "VESTIGINGSCODE": s["vestigingscode"],
                    "VESTIGINGSNAAM": s["naam"], "STRAATNAAM": s["straat"],
                    "HUISNUMMER-TOEVOEGING": nr, "POSTCODE": s["postcode"][:4] + " " + s["postcode"][4:],
                    "PLAATSNAAM": s["plaats"].upper(), "GEMEENTENUMMER": s["gemeente_code"][2:],
                    "GEMEENTENAAM": s["gemeente_duo"], "DENOMINATIE": s["denominatie"],
                    "TELEFOONNUMMER": "0101234567", "INTERNETADRES": s["internetadres"],
                    "ONDERWIJSSTRUCTUUR": s["onderwijsstructuur"],
                    "ONDERWIJSGEBIED NAAM": s["onderwijsgebied"]})
        duo.append(row)
        lon, lat = float(s["lon"]), float(s["lat"])

        def point(letter, toev, neven, dlon, dlat):
            nonlocal object_id
            object_id += 1
            return [s["straat"], s["huisnummer"], letter, toev, s["postcode"], s["plaats"],
                    "", s["provincie"], "0%015d" % object_id, "VBO", neven, "", "",
                    repr(lon + dlon), repr(lat + dlat)]
        # decoys first (lower object ids), the real point last; a decoy is never chosen
        if n % 7 == 0:
            bag.append(point("Z" if not s["huisletter"] else "", "", "f", 0.003, 0.002))
        if n % 11 == 0:
            bag.append(point(s["huisletter"], s["huisnummertoevoeging"], "t", -0.002, 0.001))
        bag.append(point(s["huisletter"], s["huisnummertoevoeging"], "f", 3e-8, -2e-8))
        if s["leerlingen"]:
            leerlingen.append([s["brin"], s["vestigingscode"], s["leerlingen"]])
        elif n % 3 == 0:
            leerlingen.append([s["brin"], s["vestigingscode"], "<5"])
    rnd.shuffle(duo)
    # a GEMEENTENUMMER from before a merger: reported, while the name decides the gemeente
    duo[7]["GEMEENTENUMMER"] = "0001"
    # the same vestiging again, later in the file: the first row is the one kept
    again = dict(duo[5]); again["VESTIGINGSNAAM"] = "Tweede regel van dezelfde vestiging"
    duo.append(again)
    # speciaal onderwijs, with an address the BAG has: left out
    vso = dict(duo[10]); vso.update({"VESTIGINGSCODE": "99ZZ00", "INSTELLINGSCODE": "99ZZ",
                                      "ONDERWIJSSTRUCTUUR": "VSO", "VESTIGINGSNAAM": "VSO De Proef"})
    duo.insert(20, vso)
    # an address the BAG does not have: left out
    nowhere = dict(duo[30]); nowhere.update({"VESTIGINGSCODE": "99ZY00", "INSTELLINGSCODE": "99ZY",
                                              "POSTCODE": "9999 ZZ", "VESTIGINGSNAAM": "Nergens College"})
    duo.insert(40, nowhere)
    # addresses at other postcodes
    for i in range(50):
        bag.append(["Elders", str(i + 1), "", "", "1000%sA" % chr(65 + i % 26), "Elders", "", "",
                    "0%015d" % (2000000 + i), "VBO", "f", "", "", "5.1", "52.1"])

    text = io.StringIO(newline="")
    w = csv.DictWriter(text, DUO_HEADER, delimiter=";", lineterminator="\r\n")
    w.writeheader()
    w.writerows(duo)
    open(os.path.join(into, "02.-alle-vestigingen-vo.csv"), "wb").write(text.getvalue().encode("cp1252"))

    with open(os.path.join(into, "bagadres.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=";", lineterminator="\n")
        w.writerow(BAG_HEADER)
        w.writerows(bag)

    with open(os.path.join(into, "03.-leerlingen-vo-per-vestiging-en-bestuur-(vavo-apart)-2024.csv"),
              "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_ALL)
        w.writerow(LEERLINGEN_HEADER)
        for brin, code, n in leerlingen:
            w.writerow(["40000", brin, code, "", "", "", "", "", n, "<5"])


def geonames_file(data, into, rnd):
    pcs = read_csv(os.path.join(data, "postcode", "pc4_centroids.csv"))
    groups = []
    for p in pcs:
        lat, lon, n = float(p["lat"]), float(p["lon"]), int(p["n_entries"])
        code2 = p["geonames_gemeente_code"][2:]
        rows = []
        for i in range(n):
            off = 0.0006 * (i - (n - 1) / 2)            # entries around the point, their mean on it
            name = p["plaats"] if i == 0 else p["plaats"] + " Buiten"
            rows.append([name, lat + off, lon - off, code2])
        if p["pc4"] in STRAY_PC4:
            # 40 km north-east, listed first: dropped by the stray-entry rule
            rows.insert(0, ["Verdwaald", lat + 0.25, lon + 0.3, code2])
        groups.append((p["pc4"], rows))
    rnd.shuffle(groups)
    with open(os.path.join(into, "NL.txt"), "w", encoding="utf-8") as f:
        for pc4, rows in groups:
            for name, lat, lon, code2 in rows:
                f.write("\t".join(["NL", pc4, name, "Provincie", "00", "Gemeente", code2, "", "",
                                   repr(lat), repr(lon), "6"]) + "\n")


def inputs(data, stage, into):
    rnd = random.Random(14)
    os.makedirs(into, exist_ok=True)
    by_layer = {}
    with open(os.path.join(stage, "pdok.csv"), newline="", encoding="utf-8") as f:
        for layer, code, name, srid, geom in csv.reader(f):
            by_layer.setdefault(layer, []).append((layer, code, name, geom, int(srid)))
    for layer, rows in by_layer.items():
        pdok_layer(os.path.join(into, layer + "_gegeneraliseerd.json"),
                   [r[:4] for r in rows], rows[0][4])
    duo_files(data, into, rnd)
    geonames_file(data, into, rnd)


if __name__ == "__main__":
    if sys.argv[1] == "features":
        features(sys.argv[2], sys.argv[3])
    else:
        inputs(sys.argv[2], sys.argv[3], sys.argv[4])
