#include "pgha/config/json_read.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "pgha/config/schema.h"

namespace pgha::config::internal {

const Json& Child(const Json& parent, const std::string& key) {
  static const Json* null_value = new Json(nullptr);
  if (!parent.is_object()) return *null_value;
  auto it = parent.find(key);
  return it == parent.end() ? *null_value : *it;
}

std::string ReadString(const Json& parent, const std::string& key, const std::string& fallback) {
  const Json& v = Child(parent, key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  return fallback;
}

int64_t ReadInt64(const Json& parent, const std::string& key, int64_t fallback,
                  const std::string& unit) {
  const Json& v = Child(parent, key);
  if (v.is_null() || v.is_boolean()) return fallback;
  return ReadInt(v, unit).value_or(fallback);
}

std::optional<bool> ReadBool(const Json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number_integer()) return value.get<int64_t>() != 0;
  if (value.is_string()) {
    std::string v = absl::AsciiStrToLower(value.get<std::string>());
    if (v == "on" || v == "true" || v == "yes" || v == "1") return true;
    if (v == "off" || v == "false" || v == "no" || v == "0") return false;
  }
  return std::nullopt;
}

bool ReadBoolKey(const Json& parent, const std::string& key, bool fallback) {
  return ReadBool(Child(parent, key)).value_or(fallback);
}

std::vector<std::string> ReadStringList(const Json& parent, const std::string& key) {
  const Json& v = Child(parent, key);
  std::vector<std::string> out;
  if (v.is_string()) {
    for (absl::string_view part : absl::StrSplit(v.get<std::string>(), ',', absl::SkipEmpty())) {
      out.emplace_back(absl::StripAsciiWhitespace(part));
    }
  } else if (v.is_array()) {
    for (const auto& item : v) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

std::string ScalarText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "on" : "off";
  if (value.is_null()) return "";
  return value.dump();
}

}  // namespace pgha::config::internal
