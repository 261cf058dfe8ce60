// What must come out byte for byte as Patroni's Python writes it: the REST API's JSON bodies,
// pghactl's output (patronictl) and the DCS values. One copy of each rule, checked against the
// installed python3 by the `pycompat` test (tests/pycompat/) over generated values.
//
// So far: repr(float) and json.dumps. (PyYAML's scalar resolution and dump, UTF-8 handling and
// Patroni's timestamps still have copies in config/ and ctl/; they move here next.)
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

}  // namespace pgha::py

#endif  // PGHA_BASE_PYCOMPAT_H_
