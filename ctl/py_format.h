// How patronictl's Python turns values into text. pghactl's output must match patronictl byte for
// byte, and patronictl prints values with Python's str()/repr(), compares them with Python's ==
// and rounds with Python's round(). These helpers reproduce exactly those rules for JSON values.
//
// Thread-safety: pure functions.
#ifndef PGHA_CTL_PY_FORMAT_H_
#define PGHA_CTL_PY_FORMAT_H_

#include <cstdint>
#include <string>

#include "pgha/base/json.h"

namespace pgha::ctl {

// str(value): strings as they are, None, True/False, ints, floats as repr(), containers as repr().
std::string PyStr(const Json& value);
// repr(value): strings quoted the way Python quotes them ('abc', "it's").
std::string PyRepr(const Json& value);
// value1 == value2 on the Python objects json.loads would build: dict key order does not matter,
// 1 == 1.0 == True.
bool PyEquals(const Json& a, const Json& b);
// str.title(): "sync standby" -> "Sync Standby".
std::string PyTitle(const std::string& text);
// round(x) for a float: halves go to the even neighbour.
int64_t PyRound(double x);

}  // namespace pgha::ctl

#endif  // PGHA_CTL_PY_FORMAT_H_
