#!/usr/bin/env python3
"""No SQL text is ever made from a request: a static check of service/ and sql/.

    tests/no-sql-from-request.py [--root DIR] [-v]   check the checkout (exit 1 naming file:line)
    tests/no-sql-from-request.py --self-test         show that the check finds what it must

The C side: service/store/, the only folder where libpq may be used (tests/layers.py checks
that). Every call that sends SQL text to PostgreSQL must get a query text that is fixed at compile
time. The calls are libpq's PQexec, PQexecParams, PQprepare, PQsendQuery, PQsendQueryParams and
PQsendPrepare (PQexecPrepared and PQsendQueryPrepared take the name of a statement that PQprepare
made, not SQL), and every function of the store that hands one of its parameters on as the query
text of such a call (db_run, db_exec and the like): these wrappers are found, not listed, by
following parameters until nothing new turns up (-v lists them). A query text is accepted when it is

  - a string literal, or adjacent literals and object-like macros that are themselves only
    literals ("select " SCHOOL_PROPERTIES " from ..."),
  - the name of a `static const char NAME[] = <literals>;` (or `static const char *const NAME`)
    of the function or of the file, not hidden by another declaration of that name,
  - `cond ? A : B` where A and B are both accepted (a choice among constant statements),
  - a parameter of the enclosing function that the function never assigns to: the function is
    then a wrapper, and what its callers pass is checked in its place.

Anything else (a buffer filled by snprintf or buf_printf, a pointer variable, a struct member, a
function's result) is reported, as is a wrapper used as a value (a function pointer the check
cannot follow) or called inside a macro. Values reach the database only as $n parameters, which
PostgreSQL never parses as SQL. tests/ is not scanned: test code is not reachable by a request.

The SQL side: what sql/migrate.sh runs: the migrations sql/migrations/NNN_name.sql, the database
API sql/api/NN_name.sql and its own steps sql/migrate/*.sql. (sql/selftest.sql
and sql/tests/*.sql are test scripts that tests/run.sh feeds to psql; their pg_temp helpers
EXECUTE statements that the test itself wrote, and they never reach the service's database
objects: they are named in the output, not checked.) PL/pgSQL is the one place where SQL text can
still be put together at run time: EXECUTE in a function or a DO block. Each EXECUTE is reported.
The text it runs, split at ||, must consist of pieces that are
  - string literals, numbers, NULL;
  - format() with a literal format whose %I and %L may take anything (quoted identifier and
    quoted literal) and whose %s takes only pieces that are themselves accepted here;
  - quote_ident(), quote_literal(), quote_nullable() of anything;
  - CASE expressions and ARRAY[...] of accepted pieces;
  - variables of the block all of whose assignments (DECLARE initialiser, :=, FOREACH over an
    accepted ARRAY) are accepted pieces, or loop variables of a reg* type (regprocedure,
    regclass, ...), whose text is already quoted by PostgreSQL.
A function's parameters and values read by a query are not accepted: values go in through
USING ($1, $2, ...). Other functions that run SQL text (dblink, query_to_xml, ...) are reported
wherever they appear.
"""
import argparse
import os
import re
import sys
import tempfile

# --------------------------------------------------------------------------------------------
# C

LIBPQ_SINKS = {  # function -> index of the argument that is SQL text
    "PQexec": 1,
    "PQexecParams": 1,
    "PQprepare": 2,
    "PQsendQuery": 1,
    "PQsendQueryParams": 1,
    "PQsendPrepare": 2,
}

C_TOKEN = re.compile(
    r"""(?P<nl>\n)|(?P<ws>[ \t\r\f\v]+)|(?P<lc>//[^\n]*)|(?P<bc>/\*.*?\*/)
       |(?P<str>(?:u8|u|U|L)?"(?:[^"\\\n]|\\.)*")|(?P<chr>(?:u|U|L)?'(?:[^'\\\n]|\\.)*')
       |(?P<id>[A-Za-z_]\w*)|(?P<num>\.?\d(?:[eEpP][+-]|[\w.])*)
       |(?P<op>->|\+\+|--|<<=|>>=|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^]=|\.\.\.|.)""",
    re.S | re.X,
)

NOT_A_TYPE = {"return", "else", "case", "sizeof", "goto", "do", "typedef", "_Alignof", "alignof"}


class Tok:
    __slots__ = ("kind", "text", "line")

    def __init__(self, kind, text, line):
        self.kind, self.text, self.line = kind, text, line

    def __repr__(self):
        return self.text


def c_tokens(text, first_line=1):
    out, line = [], first_line
    for m in C_TOKEN.finditer(text):
        kind = m.lastgroup
        s = m.group(kind)
        if kind == "nl":
            line += 1
        elif kind in ("ws", "lc"):
            pass
        elif kind == "bc":
            line += s.count("\n")
        else:
            out.append(Tok(kind, s, line))
    return out


def split_preprocessor(text):
    """The code with every directive blanked (lines kept), and the directives with their lines."""
    lines = text.split("\n")
    code, directives, i = [], [], 0
    while i < len(lines):
        if lines[i].lstrip().startswith("#"):
            start, d = i, lines[i]
            while d.endswith("\\") and i + 1 < len(lines):
                i += 1
                d = d[:-1] + "\n" + lines[i]
            directives.append((start + 1, d))
            code.extend([""] * (i - start + 1))
        else:
            code.append(lines[i])
        i += 1
    return "\n".join(code), directives


def matching(toks, i):
    """Index of the bracket that closes toks[i]."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    opener, closer, depth = toks[i].text, pairs[toks[i].text], 0
    for j in range(i, len(toks)):
        if toks[j].text == opener:
            depth += 1
        elif toks[j].text == closer:
            depth -= 1
            if depth == 0:
                return j
    return len(toks) - 1


def split_top(toks, sep=","):
    parts, cur, depth = [], [], 0
    for t in toks:
        if t.text in "([{" and t.kind == "op":
            depth += 1
        elif t.text in ")]}" and t.kind == "op":
            depth -= 1
        if depth == 0 and t.text == sep and t.kind == "op":
            parts.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur or parts:
        parts.append(cur)
    return parts


class CFunction:
    def __init__(self, path, name, static, params, body_start, body_end, line):
        self.path, self.name, self.static = path, name, static
        self.params, self.body_start, self.body_end, self.line = params, body_start, body_end, line


class CFile:
    def __init__(self, path, text):
        self.path = path
        code, self.directives = split_preprocessor(text)
        self.toks = c_tokens(code)
        self.functions = []
        self.macros = {}  # object-like: name -> tokens; function-like: name -> None (tokens kept apart)
        self.macro_bodies = []  # (line, name, tokens) of every #define
        for line, d in self.directives:
            m = re.match(r"\s*#\s*define\s+([A-Za-z_]\w*)(\()?(.*)", d, re.S)
            if not m:
                continue
            name, fnlike, rest = m.group(1), m.group(2), m.group(3)
            if fnlike:
                rest = rest.split(")", 1)[1] if ")" in rest else ""
            body = c_tokens(rest, line)
            self.macro_bodies.append((line, name, body))
            self.macros[name] = None if fnlike else body
        self._find_functions()

    def _find_functions(self):
        toks, depth, i = self.toks, 0, 0
        while i < len(toks):
            t = toks[i]
            if t.text == "{" and t.kind == "op":
                if depth == 0 and i > 0 and toks[i - 1].text == ")":
                    j = i - 1
                    d = 0
                    while j >= 0:  # back to the '(' that opens the parameter list
                        if toks[j].text == ")":
                            d += 1
                        elif toks[j].text == "(":
                            d -= 1
                            if d == 0:
                                break
                        j -= 1
                    if j > 0 and toks[j - 1].kind == "id":
                        k = j - 1
                        static = False
                        while k > 0 and toks[k - 1].text not in (";", "}", ")", "{"):
                            k -= 1
                            if toks[k].text == "static":
                                static = True
                        params = [param_name(p) for p in split_top(toks[j + 1 : i - 1])]
                        if params == ["void"]:
                            params = []
                        end = matching(toks, i)
                        self.functions.append(
                            CFunction(self.path, toks[j - 1].text, static, params, i, end, toks[j - 1].line)
                        )
                        i = end + 1
                        continue
                depth += 1
            elif t.text == "}" and t.kind == "op":
                depth -= 1
            i += 1

    def function_at(self, i):
        for f in self.functions:
            if f.body_start < i < f.body_end:
                return f
        return None


def param_name(ptoks):
    ptoks = list(ptoks)
    # function pointer parameter: ... (*name)(...)
    for k in range(len(ptoks) - 2):
        if ptoks[k].text == "(" and ptoks[k + 1].text == "*" and ptoks[k + 2].kind == "id":
            return ptoks[k + 2].text
    while ptoks and ptoks[-1].text == "]":  # name[...]
        k = len(ptoks) - 1
        while k >= 0 and ptoks[k].text != "[":
            k -= 1
        ptoks = ptoks[:k]
    ids = [t.text for t in ptoks if t.kind == "id"]
    return ids[-1] if ids else ""


class CCheck:
    def __init__(self, files):
        self.files = files
        self.macros = {}
        for f in files:
            for name, body in f.macros.items():
                if name in self.macros and self.macros[name] is not None and body is not None:
                    # defined twice: constant only if both are
                    self.macros[name] = body if self._macro_const(body, set()) and self._macro_const(
                        self.macros[name], set()) else []
                else:
                    self.macros[name] = body
        # sinks: (name, path or None) -> argument index; path for static functions
        self.sinks = {(n, None): i for n, i in LIBPQ_SINKS.items()}
        self.wrappers = []  # (function, index) found
        self.findings = []
        self.calls = {}  # sink name -> number of calls checked

    def _macro_const(self, body, seen):
        if not body:
            return False
        for t in body:
            if t.kind == "str":
                continue
            if t.kind == "id" and t.text not in seen and self.macros.get(t.text):
                if self._macro_const(self.macros[t.text], seen | {t.text}):
                    continue
            return False
        return True

    def sink_index(self, name, path):
        if (name, path) in self.sinks:
            return self.sinks[(name, path)]
        # a static function of this file with that name hides an exported one
        for f in self.files:
            if f.path == path and any(fn.name == name and fn.static for fn in f.functions):
                return None
        return self.sinks.get((name, None))

    # --- what an identifier in a function refers to

    def declarations(self, cf, name, lo, hi):
        """Declarations of name among cf.toks[lo:hi] at any depth: (index, constant?)."""
        toks, out = cf.toks, []
        for i in range(lo, hi):
            t = toks[i]
            if t.kind != "id" or t.text != name or i == 0 or i + 1 >= len(toks):
                continue
            prev, nxt = toks[i - 1], toks[i + 1]
            if nxt.text not in ("[", "=", ";", ",", ")"):
                continue
            if prev.text == "*" or (prev.kind == "id" and prev.text not in NOT_A_TYPE):
                if prev.text == "*" and i >= 2 and toks[i - 2].kind not in ("id",) and toks[i - 2].text not in ("*",):
                    continue  # a product, not a declaration
                out.append((i, self._const_declaration(cf, i)))
        return out

    def _const_declaration(self, cf, i):
        toks = cf.toks
        k = i
        while k > 0 and toks[k - 1].text not in (";", "{", "}"):
            k -= 1
        spec = [t.text for t in toks[k:i]]
        if "static" not in spec or "char" not in spec or spec.count("const") < 1:
            return False
        array = toks[i + 1].text == "["  # NAME[] or NAME[N]
        if array:
            j = matching(toks, i + 1) + 1
            array = j < len(toks) and toks[j].text == "=" and "*" not in spec
            j += 1
        pointer = spec[-2:] == ["*", "const"] and toks[i + 1].text == "=" and spec.count("const") == 2
        if pointer:
            j = i + 2
        if not (array or pointer):
            return False
        init = []
        while j < len(toks) and toks[j].text != ";":
            init.append(toks[j])
            j += 1
        return self._literal_run(init)

    def _literal_run(self, toks):
        if not toks:
            return False
        for t in toks:
            if t.kind == "str":
                continue
            if t.kind == "id" and self.macros.get(t.text) and self._macro_const(self.macros[t.text], {t.text}):
                continue
            return False
        return True

    def assigned_in(self, cf, fn, name):
        toks = cf.toks
        for i in range(fn.body_start, fn.body_end):
            t = toks[i]
            if t.kind == "id" and t.text == name:
                nxt = toks[i + 1].text if i + 1 < len(toks) else ""
                prev = toks[i - 1].text
                if nxt in ("=", "+=", "-=", "++", "--") or prev in ("&", "++", "--"):
                    return True
        return False

    def resolve(self, cf, fn, i):
        """('const'|'param'|'other', detail) for the identifier at toks[i]."""
        name = cf.toks[i].text
        inner = [d for d in self.declarations(cf, name, fn.body_start, i)] if fn else []
        if inner:
            return ("const", None) if inner[-1][1] else (
                "other", "a non-constant declared at line %d" % cf.toks[inner[-1][0]].line)
        if fn and name in fn.params:
            if self.assigned_in(cf, fn, name):
                return ("other", "a parameter that the function assigns to")
            return ("param", fn.params.index(name))
        outer = [d for d in self.declarations(cf, name, 0, len(cf.toks)) if cf.function_at(d[0]) is None]
        if outer:
            if all(c for _, c in outer):
                return ("const", None)
            return ("other", "a non-constant declared at line %d" % cf.toks[[d for d, c in outer if not c][0]].line)
        if self.macros.get(name) and self._macro_const(self.macros[name], {name}):
            return ("const", None)
        return ("other", "not a constant that this check can see")

    def classify(self, cf, fn, lo, hi):
        """(ok, params used, why not) for the expression cf.toks[lo:hi]."""
        toks = cf.toks
        while hi - lo >= 2 and toks[lo].text == "(" and matching(toks, lo) == hi - 1:
            lo, hi = lo + 1, hi - 1
        if hi <= lo:
            return False, set(), "an empty expression"
        # cond ? a : b
        depth, q = 0, None
        for k in range(lo, hi):
            s = toks[k].text
            if s in "([{" and toks[k].kind == "op":
                depth += 1
            elif s in ")]}" and toks[k].kind == "op":
                depth -= 1
            elif depth == 0 and s == "?":
                q = k
                break
        if q is not None:
            depth, nested, colon = 0, 0, None
            for k in range(q + 1, hi):
                s = toks[k].text
                if s in "([{" and toks[k].kind == "op":
                    depth += 1
                elif s in ")]}" and toks[k].kind == "op":
                    depth -= 1
                elif depth == 0 and s == "?":
                    nested += 1
                elif depth == 0 and s == ":":
                    if nested == 0:
                        colon = k
                        break
                    nested -= 1
            if colon is None:
                return False, set(), "an expression this check cannot read"
            ok1, p1, w1 = self.classify(cf, fn, q + 1, colon)
            ok2, p2, w2 = self.classify(cf, fn, colon + 1, hi)
            return ok1 and ok2, p1 | p2, w1 or w2
        if self._literal_run(toks[lo:hi]):
            return True, set(), None
        if hi - lo == 1 and toks[lo].kind == "id":
            kind, detail = self.resolve(cf, fn, lo)
            if kind == "const":
                return True, set(), None
            if kind == "param":
                return True, {detail}, None
            return False, set(), "'%s' is %s" % (toks[lo].text, detail)
        return False, set(), "not a literal or a static const char[] of literals"

    def calls_in(self, cf):
        """Every call of a sink inside a function body: (fn, name, index, arg lo, arg hi, line)."""
        toks = cf.toks
        for fn in cf.functions:
            i = fn.body_start
            while i < fn.body_end:
                t = toks[i]
                if t.kind == "id":
                    idx = self.sink_index(t.text, cf.path)
                    if idx is not None and toks[i - 1].text not in (".", "->"):
                        if toks[i + 1].text != "(":
                            yield fn, t.text, None, i, i + 1, t.line
                        else:
                            close = matching(toks, i + 1)
                            # argument boundaries
                            bounds, depth, start = [], 0, i + 2
                            for k in range(i + 2, close):
                                s = toks[k].text
                                if toks[k].kind == "op" and s in "([{":
                                    depth += 1
                                elif toks[k].kind == "op" and s in ")]}":
                                    depth -= 1
                                elif depth == 0 and s == ",":
                                    bounds.append((start, k))
                                    start = k + 1
                            bounds.append((start, close))
                            if idx < len(bounds):
                                lo, hi = bounds[idx]
                                yield fn, t.text, idx, lo, hi, toks[lo].line if hi > lo else t.line
                            else:
                                yield fn, t.text, None, i, i + 1, t.line
                i += 1

    def run(self):
        # wrappers: functions that pass a parameter on as query text, until nothing new
        changed = True
        while changed:
            changed = False
            for cf in self.files:
                for fn, name, idx, lo, hi, line in list(self.calls_in(cf)):
                    if idx is None:
                        continue
                    ok, params, _ = self.classify(cf, fn, lo, hi)
                    for p in params if ok else ():
                        key = (fn.name, cf.path if fn.static else None)
                        if key not in self.sinks:
                            self.sinks[key] = p
                            self.wrappers.append((fn, p))
                            changed = True
        for cf in self.files:
            for fn, name, idx, lo, hi, line in self.calls_in(cf):
                self.calls[name] = self.calls.get(name, 0) + 1
                if idx is None:
                    self.findings.append((cf.path, line, "%s is used as a value or called with too few "
                                          "arguments: the query text it gets cannot be followed" % name))
                    continue
                ok, params, why = self.classify(cf, fn, lo, hi)
                if ok and params and (fn.name, cf.path if fn.static else None) not in self.sinks:
                    ok, why = False, "a parameter that is not followed"
                if not ok:
                    text = " ".join(t.text for t in cf.toks[lo:hi])
                    if len(text) > 80:
                        text = text[:77] + "..."
                    self.findings.append((cf.path, line, "%s() gets SQL text that is not a constant: %s (%s)"
                                          % (name, text, why)))
            # a sink named outside a function body and not declared there: taken as a value
            toks = cf.toks
            for i, t in enumerate(toks):
                if t.kind != "id" or cf.function_at(i) is not None or self.sink_index(t.text, cf.path) is None:
                    continue
                if toks[i - 1].text in (".", "->") or (i + 1 < len(toks) and toks[i + 1].text == "("):
                    continue
                self.findings.append((cf.path, t.line, "%s is used as a value: the query text it gets "
                                      "cannot be followed" % t.text))
            # a sink inside a macro cannot be followed
            for line, mname, body in cf.macro_bodies:
                for t in body:
                    if t.kind == "id" and self.sink_index(t.text, cf.path) is not None:
                        self.findings.append((cf.path, t.line, "%s is called inside the macro %s: the query "
                                              "text cannot be followed" % (t.text, mname)))
        return self.findings


# --------------------------------------------------------------------------------------------
# SQL

SQL_TOKEN = re.compile(
    r"""(?P<ws>\s+)|(?P<lc>--[^\n]*)|(?P<bc>/\*.*?\*/)
       |(?P<dq>\$(?:[A-Za-z_]\w*)?\$)
       |(?P<estr>[eE]'(?:[^'\\]|\\.|'')*')|(?P<str>'(?:[^']|'')*')
       |(?P<qid>"(?:[^"]|"")*")|(?P<param>\$\d+)|(?P<id>[A-Za-z_][\w$]*)|(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
       |(?P<op>\|\||::|:=|<>|<=|>=|!=|=>|\.\.|.)""",
    re.S | re.X,
)

INSTALLED_SQL = {  # what sql/migrate.sh runs: folder -> file names
    "sql/migrations": re.compile(r"^[0-9]{3}_[a-z0-9_]+\.sql$"),
    "sql/api": re.compile(r"^[0-9]{2}_[a-z0-9_]+\.sql$"),
    "sql/migrate": re.compile(r"^[a-z0-9_-]+\.sql$"),
}
REG_TYPES = {"regproc", "regprocedure", "regclass", "regtype", "regnamespace", "regrole", "regoper",
             "regoperator", "regconfig", "regdictionary", "regcollation"}
QUOTING = {"quote_ident", "quote_literal", "quote_nullable"}
OTHER_DYNAMIC = {"dblink", "dblink_exec", "dblink_open", "dblink_send_query", "query_to_xml",
                 "query_to_xml_and_xmlschema", "query_to_xmlschema", "cursor_to_xml", "table_to_xml",
                 "database_to_xml", "schema_to_xml"}
STMT_START = {";", "then", "else", "begin", "loop", "declare", "elsif", "elseif"}


class STok:
    __slots__ = ("kind", "text", "low", "pos")

    def __init__(self, kind, text, pos):
        self.kind, self.text, self.pos = kind, text, pos
        self.low = text.lower() if kind == "id" else text

    def __repr__(self):
        return self.text


def sql_tokens(text):
    out, pos = [], 0
    while pos < len(text):
        m = SQL_TOKEN.match(text, pos)
        if not m:
            pos += 1
            continue
        kind = m.lastgroup
        if kind == "dq":
            tag = m.group(kind)
            end = text.find(tag, m.end())
            end = len(text) if end < 0 else end
            out.append(STok("dollar", text[m.end():end], m.end()))
            pos = end + len(tag)
            continue
        if kind not in ("ws", "lc", "bc"):
            out.append(STok(kind, m.group(kind), m.start()))
        pos = m.end()
    return out


def s_split(toks, sep):
    parts, cur, depth = [], [], 0
    for t in toks:
        if t.kind == "op" and t.text in "([":
            depth += 1
        elif t.kind == "op" and t.text in ")]":
            depth -= 1
        if depth == 0 and (t.low == sep):
            parts.append(cur)
            cur = []
        else:
            cur.append(t)
    parts.append(cur)
    return parts


class Block:
    """A PL/pgSQL body: of a function (with its parameters) or of a DO statement."""

    def __init__(self, path, text, offset, name, params, filetext):
        self.path, self.name, self.params = path, name, params
        self.toks = sql_tokens(text)
        self.base_line = filetext.count("\n", 0, offset) + 1
        self.text = text
        self.decls = {}  # variable -> (type tokens, initialiser tokens or None)
        self._declare_section()

    def line(self, tok):
        return self.base_line + self.text.count("\n", 0, tok.pos)

    def _declare_section(self):
        toks = self.toks
        # every DECLARE ... BEGIN section (nested blocks too)
        for i, t in enumerate(toks):
            if t.low != "declare":
                continue
            j = i + 1
            while j < len(toks) and toks[j].low != "begin":
                k = j
                while k < len(toks) and toks[k].text != ";" and toks[k].low != "begin":
                    k += 1
                item = toks[j:k]
                if item and item[0].kind in ("id", "qid"):
                    name = item[0].low
                    rest = item[1:]
                    init = None
                    for n, x in enumerate(rest):
                        if x.text in (":=", "=") or x.low == "default":
                            init = rest[n + 1:]
                            rest = rest[:n]
                            break
                    self.decls[name] = ([x.low for x in rest if x.kind == "id"], init)
                j = k + 1 if k < len(toks) and toks[k].text == ";" else k

    # --- is a piece of SQL text free of values?

    def safe(self, toks, seen):
        """None when the expression only yields constant or quoted text, else why not."""
        if not toks:
            return "an empty expression"
        for part in s_split(toks, "||"):
            why = self._safe_piece(part, seen)
            if why:
                return why
        return None

    def _safe_piece(self, p, seen):
        while len(p) >= 2 and p[0].text == "(" and matching(p, 0) == len(p) - 1:
            p = p[1:-1]
        if not p:
            return "an empty expression"
        if len(p) >= 3 and p[-2].text == "::" and p[-1].kind == "id":  # x::text
            return self._safe_piece(p[:-2], seen)
        if len(p) == 1:
            t = p[0]
            if t.kind in ("str", "estr", "dollar", "num") or t.low in ("null", "true", "false"):
                return None
            if t.kind in ("id", "qid"):
                return self._safe_var(t, seen)
            return "'%s' is not constant text" % t.text
        head = p[0].low
        if p[0].kind == "id" and len(p) >= 3 and p[1].text == "(" and matching(p, 1) == len(p) - 1:
            args = s_split(p[2:-1], ",")
            if head in QUOTING:
                return None
            if head == "format":
                return self._safe_format(args, seen)
            return "the result of %s() is not constant text" % head
        if head == "case" and p[-1].low == "end":
            return self._safe_case(p, seen)
        if head == "array" and len(p) >= 3 and p[1].text == "[" and matching(p, 1) == len(p) - 1:
            for el in s_split(p[2:-1], ","):
                why = self._safe_piece(el, seen)
                if why:
                    return why
            return None
        return "'%s' is not constant text" % " ".join(t.text for t in p)[:60]

    def _safe_case(self, p, seen):
        results, cur, take = [], [], False
        for t in p[1:]:
            if t.low in ("when", "else", "end"):
                if take:
                    results.append(cur)
                cur, take = [], t.low == "else"
            elif t.low == "then":
                cur, take = [], True
            else:
                cur.append(t)
        for r in results:
            why = self.safe(r, seen)
            if why:
                return why
        return None

    def _safe_format(self, args, seen):
        if not args or len(args[0]) != 1 or args[0][0].kind not in ("str", "estr", "dollar"):
            return "format() with a format that is not a literal"
        fmt = args[0][0].text
        if args[0][0].kind in ("str", "estr"):
            fmt = fmt[fmt.index("'") + 1:-1].replace("''", "'")
        values, n = args[1:], 0
        for m in re.finditer(r"%(?:(\d+)\$)?(?:-?(?:\d+|\*(?:\d+\$)?)?)?([sIL%])", fmt):
            if m.group(2) == "%":
                continue
            k = int(m.group(1)) - 1 if m.group(1) else n
            n = k + 1
            if m.group(2) in ("I", "L"):
                continue
            if k >= len(values):
                return "format() with more %s than arguments"
            why = self._safe_piece(values[k], seen) if not self._reg_var(values[k]) else None
            if why:
                return "format('%%s') of a value: " + why
        return None

    def _reg_var(self, toks):
        return (len(toks) == 1 and toks[0].low in self.decls and
                any(x in REG_TYPES for x in self.decls[toks[0].low][0]))

    def _safe_var(self, t, seen):
        name = t.low
        if name in seen:
            return None  # v := v || '...': the other assignments decide
        if name in self.params:
            return "'%s' is a parameter of the function: pass it with USING or format('%%L')" % t.text
        if name not in self.decls:
            return "'%s' is not a variable of this block" % t.text
        seen = seen | {name}
        types, init = self.decls[name]
        if init is not None:
            why = self.safe(init, seen)
            if why:
                return why
        toks = self.toks
        for i, x in enumerate(toks):
            if x.low != name:
                continue
            prev = toks[i - 1].low if i else ";"
            nxt = toks[i + 1].text if i + 1 < len(toks) else ""
            if prev == "diagnostics" or (prev == "," and nxt == "=" and self._in_diagnostics(i)):
                return "'%s' is set by GET DIAGNOSTICS" % t.text
            if prev in STMT_START and nxt in (":=", "="):
                k = i + 2
                while k < len(toks) and toks[k].text != ";":
                    k += 1
                why = self.safe(toks[i + 2:k], seen)
                if why:
                    return why
            elif prev == "foreach":
                k = i + 1
                while k < len(toks) and toks[k].low != "array":
                    k += 1
                end = k + 1
                while end < len(toks) and toks[end].low != "loop":
                    end += 1
                why = self.safe(toks[k + 1:end], seen)
                if why:
                    return why
            elif prev == "for":
                if not any(y in REG_TYPES for y in types):
                    return "'%s' takes the rows of a query" % t.text
            elif self._in_into(i):
                return "'%s' is read from a query (INTO)" % t.text
        return None

    def _in_diagnostics(self, i):
        k = i
        while k > 0 and self.toks[k].text != ";":
            if self.toks[k].low == "diagnostics":
                return True
            k -= 1
        return False

    def _in_into(self, i):
        toks, k = self.toks, i - 1
        while k >= 0:
            if toks[k].low in ("into", "strict"):
                return True
            if toks[k].text == "," or toks[k].text == "." or toks[k].kind in ("id", "qid") and toks[k + 1].text in (",", "."):
                k -= 1
                continue
            return False
        return False

    # --- the EXECUTE statements

    def executes(self):
        toks, out = self.toks, []
        for i, t in enumerate(toks):
            if t.low != "execute" or t.kind != "id":
                continue
            prev = toks[i - 1].low if i else ";"
            if prev in ("grant", "revoke", ","):
                continue
            if i + 1 < len(toks) and toks[i + 1].low in ("function", "procedure", "on"):
                continue
            k, depth, stop = i + 1, 0, None
            while k < len(toks):
                s = toks[k]
                if s.kind == "op" and s.text in "([":
                    depth += 1
                elif s.kind == "op" and s.text in ")]":
                    depth -= 1
                elif depth == 0 and s.text == ";":
                    break
                elif depth == 0 and stop is None and s.low in ("into", "using"):
                    stop = k
                k += 1
            expr = toks[i + 1:stop if stop is not None else k]
            rest = toks[stop:k] if stop is not None else []
            using = 0
            for n, r in enumerate(rest):
                if r.low == "using":
                    using = len(s_split(rest[n + 1:], ","))
            out.append((t, expr, using))
        return out


def sql_blocks(path, text):
    """PL/pgSQL bodies of CREATE FUNCTION/PROCEDURE and DO statements, and calls of OTHER_DYNAMIC."""
    toks, blocks, other = sql_tokens(text), [], []
    stmts, cur = [], []
    for t in toks:
        if t.text == ";":
            stmts.append(cur)
            cur = []
        else:
            cur.append(t)
    stmts.append(cur)
    for st in stmts:
        if not st:
            continue
        lows = [t.low for t in st]
        language = None
        if "language" in lows:
            k = lows.index("language")
            if k + 1 < len(st):
                language = st[k + 1].text.strip("'").lower()
        # the body: a dollar-quoted string, or (the old way) a quoted one after AS
        body = next((t for t in st if t.kind == "dollar"), None)
        if body is None and "as" in lows:
            k = lows.index("as")
            if k + 1 < len(st) and st[k + 1].kind in ("str", "estr"):
                raw = st[k + 1].text
                body = STok("dollar", raw[raw.index("'") + 1:-1].replace("''", "'"), st[k + 1].pos + raw.index("'") + 1)
        if lows[0] == "do" and body is not None:
            if language in (None, "plpgsql"):
                blocks.append(Block(path, body.text, body.pos, "DO block (migration time)", set(), text))
        elif lows[0] == "create" and ("function" in lows or "procedure" in lows) and body is not None:
            k = lows.index("function") if "function" in lows else lows.index("procedure")
            n = k + 1
            while n < len(st) and st[n].text != "(":
                n += 1
            name = "".join(t.text for t in st[k + 1:n])
            params = set()
            if n < len(st):
                for a in s_split(st[n + 1:matching(st, n)], ","):
                    ids = [t for t in a if t.kind in ("id", "qid")]
                    while ids and ids[0].low in ("in", "out", "inout", "variadic"):
                        ids = ids[1:]
                    if len(ids) >= 2:
                        params.add(ids[0].low)
            if language == "plpgsql":
                blocks.append(Block(path, body.text, body.pos, name, params, text))
            elif language is None:
                other.append((path, text.count("\n", 0, st[0].pos) + 1, "%s: no LANGUAGE clause found" % name))
        for t in st:
            if t.kind == "dollar":
                for u in sql_tokens(t.text):
                    if u.low in OTHER_DYNAMIC:
                        other.append((path, text.count("\n", 0, t.pos + u.pos) + 1,
                                      "%s() runs SQL text; this check does not follow it" % u.low))
            elif t.low in OTHER_DYNAMIC:
                other.append((path, text.count("\n", 0, t.pos) + 1,
                              "%s() runs SQL text; this check does not follow it" % t.low))
    return blocks, other


def check_sql(paths, verbose, out):
    findings, reports = [], []
    for path, text in paths:
        blocks, other = sql_blocks(path, text)
        findings.extend(other)
        for b in blocks:
            for t, expr, using in b.executes():
                line = b.line(t)
                why = b.safe(expr, set())
                shown = " ".join(x.text if x.kind != "str" or len(x.text) < 40 else x.text[:36] + "...'" for x in expr)
                shown = re.sub(r"\s+", " ", shown)
                if len(shown) > 70:
                    shown = shown[:67] + "..."
                where = "%s:%d" % (path, line)
                if why:
                    findings.append((path, line, "%s: EXECUTE %s: %s" % (b.name, shown, why)))
                else:
                    quoted = any(x.low in QUOTING for x in expr) or any(
                        x.kind in ("str", "estr") and re.search(r"%(?:\d+\$)?[IL]", x.text) for x in expr)
                    reports.append("%s: %s: EXECUTE %s -- text from constants%s%s" % (
                        where, b.name, shown, " and %I/%L-quoted values" if quoted else "",
                        ", values by USING (%d)" % using if using else ""))
    if verbose or reports:
        print("EXECUTE in PL/pgSQL whose text is accepted (%d):" % len(reports), file=out)
        for r in reports:
            print("  " + r, file=out)
    return findings


# --------------------------------------------------------------------------------------------

def check_tree(root, verbose=False, out=sys.stdout):
    cpaths = []
    sdir = os.path.join(root, "service", "store")  # the only folder that may use libpq: tests/layers.py
    for d, _, names in sorted(os.walk(sdir)):
        for n in sorted(names):
            if n.endswith((".c", ".h")):
                cpaths.append(os.path.relpath(os.path.join(d, n), root))
    cfiles = [CFile(p, open(os.path.join(root, p), encoding="utf-8").read()) for p in cpaths]
    spaths, skipped = [], []
    for d, _, names in sorted(os.walk(os.path.join(root, "sql"))):
        for n in sorted(names):
            if not n.endswith(".sql"):
                continue
            rel = os.path.relpath(os.path.join(d, n), root)
            if os.path.dirname(rel) in INSTALLED_SQL and INSTALLED_SQL[os.path.dirname(rel)].match(n):
                spaths.append((rel, open(os.path.join(root, rel), encoding="utf-8").read()))
            else:
                skipped.append(rel)
    if skipped:
        print("SQL: %d files that migrate.sh runs; not installed, so not checked: %s" % (len(spaths), ", ".join(skipped)), file=out)
    return run_checks(cfiles, spaths, verbose, out)


def run_checks(cfiles, spaths, verbose, out):
    c = CCheck(cfiles)
    findings = c.run()
    print("C: %d files, %d calls that send SQL text checked (%s)" % (
        len(cfiles), sum(c.calls.values()),
        ", ".join("%s %d" % (k, v) for k, v in sorted(c.calls.items()))), file=out)
    if c.wrappers:
        print("   wrappers that pass a parameter on as SQL text: " + ", ".join(
            "%s (%s:%d, argument %d)" % (fn.name, fn.path, fn.line, p + 1) for fn, p in c.wrappers), file=out)
    findings = findings + check_sql(spaths, verbose, out)
    for path, line, msg in sorted(set(findings)):
        print("%s:%d: %s" % (path, line, msg), file=out)
    return len(set(findings))


# --------------------------------------------------------------------------------------------
# --self-test: samples that must pass, samples that must fail at exactly the lines given, and the
# same on a copy of this checkout with a bad function added to service/store/features.c and a bad
# PL/pgSQL function added to the last migration.

WRAPPERS_C = r"""
PGresult *db_exec(PGconn *c, const char *sql, int n, const char *const *params, struct db_error *err)
{
	(void)err;
	return PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
}
PGresult *resource_query(struct request *r, const char *sql, int n, const char *const *params)
{
	struct db_error err;
	return db_exec(r->conn, sql, n, params, &err);
}
"""

GOOD_C = r"""
#define COLS "id, name"
static const char items_sql[] = "select " COLS " from api.initiatives where id = $1";
static const char *const count_sql = "select count(*) from api.initiatives";
static const char sized_sql[32] = "select 2";
static PGresult *run(PGconn *c, const char *sql, int n, const char *const *params)
{
	return PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
}
static void get(struct request *r, const char *id, int approve)
{
	static const char one_sql[] = "select 1";
	const char *params[1] = {id};
	resource_query(r, items_sql, 1, params);
	resource_query(r, one_sql, 0, NULL);
	resource_query(r, count_sql, 0, NULL);
	resource_query(r, sized_sql, 0, NULL);
	resource_query(r, approve ? "select api.a($1)" : "select api.b($1)", 1, params);
	run(NULL, "select api.key_list()", 0, NULL);
	PQexec(NULL, "listen x");
}
"""
GOOD_C_CALLS = 8

BAD_C = r"""
#define RUN(c, q) PQexec(c, q)
static const char fmt_sql[] = "select * from api.schools where name = '%s'";
static void items(struct request *r, const char *name, const char *order)
{
	char sql[256];
	snprintf(sql, sizeof(sql), fmt_sql, name);
	resource_query(r, sql, 0, NULL);
	const char *q = order ? "select 1" : "select 2";
	resource_query(r, q, 0, NULL);
	struct buf b;
	buf_printf(&b, "select %s", name);
	PQexec(NULL, b.data);
	resource_query(r, name ? "select 1" : name, 0, NULL);
}
static const struct handler h = {.fn = items};
static void again(PGconn *c, const char *sql)
{
	sql = "select 1";
	PQexec(c, sql);
}
static void hidden(struct request *r)
{
	static const char items_sql[] = "select 1";
	{
		char items_sql[64];
		snprintf(items_sql, sizeof(items_sql), "select %d", 1);
		resource_query(r, items_sql, 0, NULL);
	}
}
"""
# the macro, the snprintf buffer, the pointer variable, the struct member, items taken as a value
# (it passes its parameter name on as SQL, so it is a wrapper that must only be called directly),
# the assigned parameter, the hiding buffer
BAD_C_LINES = {2, 8, 10, 13, 16, 20, 28}

GOOD_SQL = r"""
create function api.f(a text, b text[]) returns bigint language plpgsql as $$
declare
  sql text := 'select count(*) from t where true';
  t text;
  f regprocedure;
  n bigint;
begin
  if a is not null then sql := sql || ' and x = $1'; end if;
  execute sql into n using a, b;
  execute format('select count(*) from %I where y = %L', a, a) into n;
  execute 'select ' || quote_literal(a);
  foreach t in array array['initiative', 'party'] loop
    execute format('analyze kaart.%s', t);
  end loop;
  for f in select p.oid::regprocedure from pg_proc p loop
    execute format('revoke all on function %s from public', f);
  end loop;
  t := case a when 'x' then 'kaart.one' else 'kaart.two' end;
  execute 'select 1 from ' || t;
  return n;
end
$$;
grant execute on function api.f(text, text[]) to routekaart_app;
"""
GOOD_SQL_EXECUTES = 6

BAD_SQL = r"""
create function api.g(name text, code text) returns bigint language plpgsql as $$
declare
  sql text := 'select count(*) from t where name = ''' || name || '''';
  n bigint;
  tbl text;
begin
  execute sql into n;
  execute 'select count(*) from t where code = ' || code into n;
  execute format('select count(*) from t where code = %s', code) into n;
  select relname into tbl from pg_class limit 1;
  execute 'select count(*) from ' || tbl into n;
  perform dblink('x', 'select ' || code);
  return n;
end
$$;
create function api.h(p text) returns int language plpgsql as '
declare n int;
begin
  execute ''select '' || p into n;
  return n;
end';
"""
BAD_SQL_LINES = {8, 9, 10, 12, 13, 20}

INJECTED_C = r"""

int store_schools_named(struct db_pool *pool, const char *name, struct db_error *err);
int store_schools_named(struct db_pool *pool, const char *name, struct db_error *err)
{
	char sql[512];
	snprintf(sql, sizeof(sql), "select count(*) from api.schools where name = '%s'", name);
	PGresult *res = db_run(pool, sql, 0, NULL, DB_READ_RETRY, err);
	PQclear(res);
	return res ? 0 : -1;
}
"""
INJECTED_SQL = r"""

create function api.schools_named(name text) returns bigint
language plpgsql stable security definer as $$
declare n bigint;
begin
  execute 'select count(*) from ref.school_location where name = ''' || name || '''' into n;
  return n;
end
$$;
"""


def self_test(root):
    import io
    import shutil
    failures = 0

    def check(label, want, cfiles=(), spaths=(), tree=None):
        nonlocal failures
        buf = io.StringIO()
        if tree:
            check_tree(tree, False, buf)
        else:
            run_checks(list(cfiles), list(spaths), False, buf)
        got = set()
        for line in buf.getvalue().splitlines():
            m = re.match(r"(\S+?):(\d+): ", line)
            if m:
                got.add((m.group(1), int(m.group(2))) if tree else int(m.group(2)))
        ok = got == want
        failures += not ok
        print("%s %s: findings %s%s" % ("ok  " if ok else "FAIL", label, ", ".join(
            "%s:%d" % g if tree else str(g) for g in sorted(got)) or "none",
            "" if ok else " (expected %s)" % sorted(want)))
        if not ok or os.environ.get("VERBOSE"):
            print("    " + buf.getvalue().rstrip().replace("\n", "\n    "))
        return buf.getvalue()

    out = check("constant C statements and wrappers pass", set(),
                [CFile("wrappers.c", WRAPPERS_C), CFile("good.c", GOOD_C)])
    calls = int(re.search(r"(\d+) calls", out).group(1))
    if calls != GOOD_C_CALLS + 2:  # and the two calls inside the wrappers
        failures += 1
        print("FAIL the good sample has %d calls, %d were checked" % (GOOD_C_CALLS + 2, calls))
    check("SQL text made in C is found", BAD_C_LINES, [CFile("wrappers.c", WRAPPERS_C), CFile("bad.c", BAD_C)])
    out = check("EXECUTE with constant text, USING, %I and %L passes", set(), spaths=[("good.sql", GOOD_SQL)])
    if out.count("-- text from constants") != GOOD_SQL_EXECUTES:
        failures += 1
        print("FAIL the good sample has %d EXECUTEs, %d were reported" % (
            GOOD_SQL_EXECUTES, out.count("-- text from constants")))
    check("EXECUTE with values in its text is found", BAD_SQL_LINES, spaths=[("bad.sql", BAD_SQL)])

    tmp = tempfile.mkdtemp(prefix="no-sql-from-request.")
    try:
        shutil.copytree(os.path.join(root, "service"), os.path.join(tmp, "service"))
        shutil.copytree(os.path.join(root, "sql"), os.path.join(tmp, "sql"))
        check("a copy of this checkout", set(), tree=tmp)
        target = os.path.join(tmp, "service", "store", "features.c")
        text = open(target, encoding="utf-8").read()
        cline = text.count("\n") + INJECTED_C[:INJECTED_C.index("db_run(")].count("\n") + 1
        with open(target, "a", encoding="utf-8") as f:
            f.write(INJECTED_C)
        migrations = ["api/" + n for n in sorted(os.listdir(os.path.join(tmp, "sql", "api")))
                      if INSTALLED_SQL["sql/api"].match(n)]
        starget = os.path.join(tmp, "sql", migrations[-1])
        text = open(starget, encoding="utf-8").read()
        sline = text.count("\n") + INJECTED_SQL[:INJECTED_SQL.index("execute")].count("\n") + 1
        with open(starget, "a", encoding="utf-8") as f:
            f.write(INJECTED_SQL)
        check("the copy with an snprintf query in service/store/features.c and a concatenating EXECUTE in "
              + migrations[-1], {("service/store/features.c", cline), ("sql/" + migrations[-1], sline)}, tree=tmp)
    finally:
        shutil.rmtree(tmp)
    print("self-test: %s" % ("ok" if not failures else "%d FAILED" % failures))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    help="the checkout to check (default: this one)")
    ap.add_argument("--self-test", action="store_true", help="run the check on built-in good and bad samples")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test(a.root)
    n = check_tree(a.root, a.verbose)
    if n:
        print("no-sql-from-request: %d place%s where SQL text may come from outside the program"
              % (n, "" if n == 1 else "s"))
        return 1
    print("no-sql-from-request: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
