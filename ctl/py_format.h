// How patronictl's Python compares, rounds and capitalizes values, and the YAML it prints.
// pghactl's output must match patronictl byte for byte; str(), repr(), json.dumps and
// yaml.safe_dump themselves are the pycompat module's (pgha/base/pycompat.h).
//
// Thread-safety: pure functions.
#ifndef PGHA_CTL_PY_FORMAT_H_
#define PGHA_CTL_PY_FORMAT_H_

#include <cstdint>
#include <string>

#include "pgha/base/json.h"
#include "pgha/base/pycompat_yaml.h"

namespace pgha::ctl {

// patronictl's format_config_for_editing and its other YAML output:
// yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True, width=200).
inline std::string CtlYaml(const Json& value, bool flow = false) {
  return py::YamlDump(value, {.flow = flow, .width = 200});
}

// value1 == value2 on the Python objects json.loads would build: dict key order does not matter,
// 1 == 1.0 == True.
bool PyEquals(const Json& a, const Json& b);
// str.title(): "sync standby" -> "Sync Standby".
std::string PyTitle(const std::string& text);
// round(x) for a float: halves go to the even neighbour.
int64_t PyRound(double x);

}  // namespace pgha::ctl

#endif  // PGHA_CTL_PY_FORMAT_H_
