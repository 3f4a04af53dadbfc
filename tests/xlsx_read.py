#!/usr/bin/env python3
"""Reads an XLSX workbook back (the way a spreadsheet would) and prints what the tests check, as
JSON: the sheets in order, and per sheet its rows (cells typed: numbers as numbers), whether the
first row is frozen, whether its cells are bold, and whether column widths are set."""
import json
import re
import sys
import zipfile
import xml.etree.ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "p": "http://schemas.openxmlformats.org/package/2006/relationships"}


def col_index(ref):
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def main(path):
    z = zipfile.ZipFile(path)
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
            shared.append("".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])))
    styles = ET.fromstring(z.read("xl/styles.xml"))
    fonts = styles.find("m:fonts", NS).findall("m:font", NS)
    xfs = styles.find("m:cellXfs", NS).findall("m:xf", NS)
    bold_style = {i for i, xf in enumerate(xfs) if fonts[int(xf.get("fontId", 0))].find("m:b", NS) is not None}
    rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels")).findall("p:Relationship", NS)}
    out = {"sheets": [], "data": {}}
    for sheet in ET.fromstring(z.read("xl/workbook.xml")).find("m:sheets", NS).findall("m:sheet", NS):
        name = sheet.get("name")
        out["sheets"].append(name)
        ws = ET.fromstring(z.read("xl/" + rels[sheet.get("{%s}id" % NS["r"])].lstrip("/").replace("xl/", "")))
        rows, header_bold = [], True
        for row in ws.find("m:sheetData", NS).findall("m:row", NS):
            cells = []
            for c in row.findall("m:c", NS):
                i = col_index(c.get("r"))
                while len(cells) < i:
                    cells.append(None)
                v = c.find("m:v", NS)
                t = c.get("t", "n")
                if v is None:
                    value = None
                elif t == "s":
                    value = shared[int(v.text)]
                elif t == "b":
                    value = v.text == "1"
                elif t == "str":
                    value = v.text
                else:
                    value = float(v.text)
                    if value.is_integer():
                        value = int(value)
                cells.append(value)
                if row.get("r") == "1" and int(c.get("s", 0)) not in bold_style:
                    header_bold = False
            rows.append(cells)
        pane = ws.find("m:sheetViews/m:sheetView/m:pane", NS)
        out["data"][name] = {
            "rows": rows,
            "frozen_header": pane is not None and pane.get("state") == "frozen" and pane.get("ySplit") == "1",
            "header_bold": header_bold,
            "widths": ws.find("m:cols", NS) is not None,
        }
    json.dump(out, sys.stdout, ensure_ascii=False)


main(sys.argv[1])
