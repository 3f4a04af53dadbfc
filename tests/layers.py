#!/usr/bin/env python3
"""The layers of service/ and their rule: a static check of the C sources.

    tests/layers.py [--root DIR]    check the checkout (exit 1 naming file:line)
    tests/layers.py --self-test     show that the check finds what it must

service/ has four layers, read from the top down: api/ (handlers), http/ (server, parameters,
cache), store/ (the database), lib/ (basics). A file includes headers of its own layer and of the
layers below it, never above (service/main.c, which wires them together, may include any).
libpq belongs to the store: only service/store/pg.h includes <libpq-fe.h>, only files of
service/store/ include store/pg.h, and no file outside service/store/ names a libpq function or
type (PQ..., PG..., pg_...), so no SQL is sent from anywhere else. ARCHITECTURE.md explains the
layers.
"""
import argparse
import os
import re
import shutil
import sys
import tempfile

ORDER = ["api", "http", "store", "lib"]  # top to bottom
LIBPQ_NAME = re.compile(r"\b(PQ[a-zA-Z]+|PG(?:conn|result|notify|ping)\b|ExecStatusType|ConnStatusType|PGRES_\w+|CONNECTION_(?:OK|BAD))")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def strip_comments_and_strings(line, in_comment):
    """The code of a line without comments and string literals; and whether a comment goes on."""
    out, i = [], 0
    while i < len(line):
        if in_comment:
            end = line.find("*/", i)
            if end < 0:
                return "".join(out), True
            i, in_comment = end + 2, False
        elif line.startswith("/*", i):
            in_comment, i = True, i + 2
        elif line.startswith("//", i):
            break
        elif line[i] in "\"'":
            q, i = line[i], i + 1
            while i < len(line) and line[i] != q:
                i += 2 if line[i] == "\\" else 1
            i += 1
            out.append(" ")
        else:
            out.append(line[i])
            i += 1
    return "".join(out), in_comment


def check_file(rel, text):
    parts = rel.split("/")
    layer = parts[1] if len(parts) == 3 and parts[1] in ORDER else None  # None: service/main.c
    findings = []
    in_comment = False
    for n, line in enumerate(text.splitlines(), 1):
        m = INCLUDE.match(line)
        if m:
            kind, name = m.groups()
            if kind == "<" and name == "libpq-fe.h" and rel != "service/store/pg.h":
                findings.append((rel, n, "includes <libpq-fe.h>: only store/pg.h does"))
            if kind == '"':
                target = name.split("/")[0] if "/" in name else None
                if name == "store/pg.h" and layer != "store":
                    findings.append((rel, n, "includes store/pg.h, the store's own header"))
                elif layer and target in ORDER and ORDER.index(target) < ORDER.index(layer):
                    findings.append((rel, n, "the %s layer includes %s from the %s layer above it" % (layer, name, target)))
                elif layer and target is None:
                    findings.append((rel, n, 'includes "%s" without its layer (write "<layer>/%s")' % (name, name)))
            continue
        code, in_comment = strip_comments_and_strings(line, in_comment)
        if layer != "store":
            m = LIBPQ_NAME.search(code)
            if m:
                findings.append((rel, n, "uses libpq (%s) outside service/store/" % m.group(1)))
    return findings


def check_tree(root, out=sys.stdout):
    findings, nfiles = [], 0
    for d, _, names in sorted(os.walk(os.path.join(root, "service"))):
        for name in sorted(names):
            if name.endswith((".c", ".h")):
                rel = os.path.relpath(os.path.join(d, name), root)
                with open(os.path.join(root, rel), encoding="utf-8") as f:
                    findings += check_file(rel, f.read())
                nfiles += 1
    for path, line, msg in findings:
        print("%s:%d: %s" % (path, line, msg), file=out)
    print("layers: %d files, %d finding%s" % (nfiles, len(findings), "" if len(findings) == 1 else "s"), file=out)
    return len(findings)


# --self-test: this checkout passes; a copy with one breach of each kind fails at exactly those lines.
BREACHES = [
    ("service/lib/buf.c", '#include "http/http.h"\n'),
    ("service/http/cache.c", '#include "api/handlers.h"\n'),
    ("service/api/tiles.c", '#include <libpq-fe.h>\n'),
    ("service/api/schools.c", '#include "store/pg.h"\n'),
    ("service/http/query.c", '#include "buf.h"\n'),
    ("service/api/regions.c", "static void f(void *c) { PQfinish(c); }\n"),
    ("service/http/web.c", "static PGresult *last;\n"),
]


def self_test(root):
    import io
    failures = 0
    buf = io.StringIO()
    n = check_tree(root, buf)
    print("%s this checkout: %d findings" % ("ok  " if n == 0 else "FAIL", n))
    failures += n != 0
    tmp = tempfile.mkdtemp(prefix="layers.")
    try:
        shutil.copytree(os.path.join(root, "service"), os.path.join(tmp, "service"))
        want = set()
        for rel, line in BREACHES:
            path = os.path.join(tmp, rel)
            with open(path, encoding="utf-8") as f:
                lines = f.read().count("\n")
            with open(path, "a", encoding="utf-8") as f:
                f.write(line)
            want.add("%s:%d" % (rel, lines + 1))
        buf = io.StringIO()
        check_tree(tmp, buf)
        got = {":".join(l.split(":")[:2]) for l in buf.getvalue().splitlines() if l.startswith("service/")}
        ok = got == want
        failures += not ok
        print("%s a copy with %d breaches: found %s%s" % ("ok  " if ok else "FAIL", len(BREACHES), ", ".join(sorted(got)),
                                                        "" if ok else " (expected %s)" % ", ".join(sorted(want))))
    finally:
        shutil.rmtree(tmp)
    print("self-test: %s" % ("ok" if not failures else "%d FAILED" % failures))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test(a.root)
    return 1 if check_tree(a.root) else 0


if __name__ == "__main__":
    sys.exit(main())
