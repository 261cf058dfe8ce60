// YAML 1.1 scalar resolution as PyYAML's SafeLoader does it (Patroni reads its YAML with PyYAML,
// so `on` is a boolean, `0755` an octal integer and `1e3` a string).
#ifndef PGHA_CONFIG_YAML_SCALARS_H_
#define PGHA_CONFIG_YAML_SCALARS_H_

#include <string>

#include "pgha/base/json.h"

namespace pgha::config::internal {

// Value of a plain (unquoted) scalar.
Json ResolvePlainScalar(const std::string& text);

// True when `text` written as a plain scalar would not read back as this same string.
bool NeedsQuoting(const std::string& text);

}  // namespace pgha::config::internal

#endif  // PGHA_CONFIG_YAML_SCALARS_H_
