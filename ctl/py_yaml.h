// YAML text exactly as patronictl writes it: PyYAML's yaml.safe_dump(data,
// default_flow_style=..., allow_unicode=True, width=200), which patronictl uses for show-config,
// the edit-config diff, `-f yaml` and the Tags column. Keys are sorted, strings that would read
// back as another type are quoted, long scalars fold at column 200: a port of PyYAML's emitter
// restricted to what JSON values need (no anchors, tags or explicit documents).
//
// Thread-safety: pure function.
#ifndef PGHA_CTL_PY_YAML_H_
#define PGHA_CTL_PY_YAML_H_

#include <string>

#include "pgha/base/json.h"

namespace pgha::ctl {

// Block style (flow_style=false) writes nested mappings and sequences on their own lines;
// flow style writes {a: 1, b: [x, y]}. The text always ends with a newline.
std::string PyYamlDump(const Json& value, bool flow_style = false);

// True when PyYAML would read `text`, written as a plain scalar, as something other than a
// string (a bool, int, float, null, timestamp, ...), so that it must be quoted.
bool PlainScalarIsNotString(const std::string& text);

}  // namespace pgha::ctl

#endif  // PGHA_CTL_PY_YAML_H_
