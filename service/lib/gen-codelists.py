#!/usr/bin/env python3
"""Writes the code lists of geo/codelists.json as a C header of X-macros.

    gen-codelists.py geo/codelists.json OUT.h

For each list NAME the header defines CODELIST_NAME(X), which expands X(code, label) once per code
in the list's order, and CODELIST_NAME_N, the number of codes; CODELIST_ROUTE_KIND_OVERVIEW(X) expands X(code, meaning, width)
for the route kinds' columns of the regional overviews. lib/codes.c and the tables of the
handlers expand them, so the C has no copy of a code or a label of its own.
"""
import json
import sys

# list in the source -> the key holding its code; the niveaus are numbers, written as text
LISTS = {
    "route_kind": "code",
    "leerweg": "code",
    "profiel": "code",
    "niveau": "niveau",
    "opleidingsdomein": "code",
    "agreement_topic": "code",
    "region_type": "type",
    "party_role": "code",
}


def c_string(s):
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20:
            raise SystemExit(f"gen-codelists: control character in {s!r}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def main():
    src, out = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8") as f:
        doc = json.load(f)
    missing = set(LISTS) - set(doc)
    if missing:
        raise SystemExit(f"gen-codelists: {src} lacks the lists {', '.join(sorted(missing))}")
    lines = [f"/* Generated from {src} by service/lib/gen-codelists.py: edit the source, not this. */",
             "#ifndef RK_CODELISTS_H", "#define RK_CODELISTS_H", ""]
    for name, key in LISTS.items():
        rows = doc[name]
        macro = "CODELIST_" + name.upper()
        lines.append(f"#define {macro}(X) \\")
        for row in rows:
            code = str(row[key])
            lines.append(f"\tX({c_string(code)}, {c_string(row.get('label', ''))}) \\")
        lines.append("")
        lines.append(f"#define {macro}_N {len(rows)}")
        lines.append("")
    # the route kinds' columns of the regional overviews: X(code, meaning, width)
    lines.append("#define CODELIST_ROUTE_KIND_OVERVIEW(X) \\")
    for row in doc["route_kind"]:
        col = row["overview_column"]
        lines.append(f"\tX({c_string(row['code'])}, {c_string(col['meaning'])}, {int(col['width'])}) \\")
    lines.append("")
    lines.append("#endif")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


main()
