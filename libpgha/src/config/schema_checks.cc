// The value checks DCS sections share (declared in pgha/config/schema.h): addresses as the
// backends' readers will take them apart, so that a bad one is reported with its file and line
// instead of failing when the backend is built.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "pgha/config/address.h"
#include "pgha/config/schema.h"

namespace pgha::config::internal {

void CheckHostPort(const Json& v, const KeyPath& path, Validator& val) {
  if (!v.is_string()) return;
  auto parsed = ParseHostPort(v.get<std::string>());
  if (!parsed.ok()) val.Error(path, std::string(parsed.status().message()));
}

void CheckHostList(const Json& v, const KeyPath& path, Validator& val) {
  auto check_one = [&](const std::string& text, const KeyPath& at) {
    auto parsed = ParseHostPort(text);
    if (!parsed.ok()) val.Error(at, std::string(parsed.status().message()));
  };
  if (v.is_string()) {
    for (absl::string_view part : absl::StrSplit(v.get<std::string>(), ',', absl::SkipEmpty())) {
      check_one(std::string(absl::StripAsciiWhitespace(part)), path);
    }
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      KeyPath child = path;
      child.push_back(std::to_string(i));
      if (!v[i].is_string()) {
        val.Error(child, "expected a host:port string");
      } else {
        check_one(v[i].get<std::string>(), child);
      }
    }
  } else {
    val.Error(path, "expected a list of host:port or a comma-separated string");
  }
}

void CheckUrl(const Json& v, const KeyPath& path, Validator& val) {
  if (!v.is_string()) return;
  const std::string s = v.get<std::string>();
  for (const auto& scheme : {"http://", "https://"}) {
    if (s.rfind(scheme, 0) == 0) {
      std::string rest = s.substr(std::string(scheme).size());
      rest = rest.substr(0, rest.find('/'));
      auto parsed = ParseHostPort(rest, s[4] == 's' ? 443 : 80);
      if (!parsed.ok()) val.Error(path, std::string(parsed.status().message()));
      return;
    }
  }
  val.Error(path, absl::StrCat("'", s, "' is not an http:// or https:// URL"));
}

}  // namespace pgha::config::internal
