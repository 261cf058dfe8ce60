// YAML as Patroni's PyYAML reads and writes it: which type a plain scalar is (SafeLoader's
// implicit resolvers and constructors, YAML 1.1: `on` is a boolean, `0755` octal, `1e3` a
// string, `._5` a string, `1:30` the integer 90) and yaml.safe_dump's text (what patronictl
// prints and `patroni --validate-config --print` writes). Part of the pycompat module
// (pycompat.h); checked against the installed python3 and PyYAML by the `pycompat` test.
//
// Thread-safety: pure functions.
#ifndef PGHA_BASE_PYCOMPAT_YAML_H_
#define PGHA_BASE_PYCOMPAT_YAML_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "pgha/base/json.h"
#include "pgha/base/pycompat_time.h"

namespace pgha::py {

// The tag PyYAML's Resolver gives a plain scalar (resolver.py, in its order; the candidates
// are chosen by the first character, and `$` also matches before one final newline).
enum class YamlTag { kStr, kBool, kInt, kFloat, kNull, kTimestamp, kMerge, kValue, kYaml };

YamlTag ResolveYamlScalar(std::string_view text);

// What SafeLoader builds from a plain scalar: null, a bool, an integer, a float, or the text
// itself for a string or a timestamp (ParseYamlTimestamp reads those).
// Errors where PyYAML raises: kInvalidArgument for a value its constructor refuses (`0b_`,
// `=`, `<<`, a bad date) and kOutOfRange for an integer beyond int64, which Python keeps.
absl::StatusOr<Json> LoadYamlScalar(std::string_view text);

// PyYAML's SafeConstructor.construct_yaml_timestamp for a scalar that resolves as a timestamp
// (YamlTag::kTimestamp): a date, or a datetime (aware when the text has a zone).
// kInvalidArgument where Python raises (2026-02-30, an offset of a day or more) or when the
// text is no timestamp.
absl::StatusOr<DateTime> ParseYamlTimestamp(std::string_view text);

struct YamlDumpStyle {
  bool flow = false;  // default_flow_style: {a: 1, b: [x, y]} instead of one key per line
  int width = 80;     // where long scalars fold
};

// yaml.safe_dump(value, default_flow_style=style.flow, allow_unicode=True, width=style.width):
// keys sorted, strings that would read back as another type quoted, the text ending in a
// newline. patronictl passes width=200. Bytes that are not UTF-8 are written as U+FFFD.
std::string YamlDump(const Json& value, YamlDumpStyle style = {});

}  // namespace pgha::py

#endif  // PGHA_BASE_PYCOMPAT_YAML_H_
