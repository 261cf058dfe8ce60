// What must come out byte for byte as Patroni's Python writes it, or be read as Patroni reads
// it: the REST API's JSON bodies, pghactl's output (patronictl), the DCS values and the
// configuration file. One copy of each rule, checked against the installed python3 (json,
// PyYAML, dateutil) by the `pycompat` test (tests/pycompat/) over generated values.
//
// The module: this header (repr and str, json.dumps), pycompat_yaml.h (PyYAML's scalar types
// and safe_dump), pycompat_time.h (isoformat, dateutil's parse, YAML timestamps); UTF-8 is
// decoded by pgha/base/utf8.h, which all of them use.
//
// Thread-safety: pure functions.
#ifndef PGHA_BASE_PYCOMPAT_H_
#define PGHA_BASE_PYCOMPAT_H_

#include <string>

#include "pgha/base/json.h"

namespace pgha::py {

// repr(float) (and str(float)): the shortest text that reads back as the same double, in
// Python's layout: 3.0, 0.0001, 1e-05, 1000000000000000.0, 1e+16, -0.0, inf, nan.
std::string FloatRepr(double value);

// json.dumps(value) with Python's defaults, as Patroni calls it: separators ", " and ": ",
// ensure_ascii (non-ASCII as \uXXXX, surrogate pairs above U+FFFF), floats as repr(), NaN and
// Infinity as Python writes them, keys in the document's order. A byte that is not well-formed
// UTF-8 (a DCS value or request path may hold anything) becomes U+FFFD, where Python would
// write a lone surrogate that strict JSON parsers refuse.
std::string JsonDumps(const Json& value);

// repr(value) of what json.loads builds: strings quoted as Python quotes them ('abc', "it's",
// '\x00', '\u200b': what str.isprintable() refuses is escaped), dicts {'a': 1}, lists [1, 2],
// True/False/None, floats as FloatRepr.
std::string Repr(const Json& value);

// str(value): a string as it is, everything else as Repr.
std::string Str(const Json& value);

}  // namespace pgha::py

#endif  // PGHA_BASE_PYCOMPAT_H_
