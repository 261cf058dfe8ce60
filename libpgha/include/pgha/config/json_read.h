// Small readers for validated documents: a value of the expected type or a default. Public so
// that a DCS backend reads its section (Config::dcs.settings) the way libpgha reads the rest.
// Installed for backend authors only: not a stable API across versions.
//
// Thread-safety: pure functions.
#ifndef PGHA_CONFIG_JSON_READ_H_
#define PGHA_CONFIG_JSON_READ_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pgha/base/json.h"

namespace pgha::config::internal {

const Json& Child(const Json& parent, const std::string& key);  // null when absent
std::string ReadString(const Json& parent, const std::string& key, const std::string& fallback = "");
int64_t ReadInt64(const Json& parent, const std::string& key, int64_t fallback,
                  const std::string& unit = "");
std::optional<bool> ReadBool(const Json& value);  // true/false, "on"/"off", 1/0 ...
bool ReadBoolKey(const Json& parent, const std::string& key, bool fallback);
std::vector<std::string> ReadStringList(const Json& parent, const std::string& key);
// A scalar as the text PostgreSQL would see: true -> "on", 100 -> "100".
std::string ScalarText(const Json& value);

}  // namespace pgha::config::internal

#endif  // PGHA_CONFIG_JSON_READ_H_
