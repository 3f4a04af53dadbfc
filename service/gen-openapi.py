#!/usr/bin/env python3
"""Embeds openapi.yaml in the server: writes a C file with the document as JSON and as YAML."""
import json
import sys

import yaml


def c_array(name, data):
    body = ",".join(str(b) for b in data)
    return (f"const char {name}[] = {{{body},0}};\n"
            f"const size_t {name}_len = {len(data)};\n")


def main():
    src, out = sys.argv[1], sys.argv[2]
    raw = open(src, "rb").read()
    doc = yaml.safe_load(raw)
    as_json = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    with open(out, "w") as f:
        f.write("/* Generated from openapi.yaml by service/gen-openapi.py. */\n")
        f.write('#include "api/openapi_doc.h"\n\n')
        f.write(c_array("openapi_json", as_json))
        f.write(c_array("openapi_yaml", raw))


main()
