// The JSON document type. Patroni's DCS values, REST bodies and dynamic configuration are JSON
// documents; nlohmann's ordered_json keeps key order, so a document read from YAML or the DCS is
// written back in the order it came in (as Patroni's Python dicts do).
//
// This is the one third-party type allowed in public headers: it is header-only, has no link-time
// coupling, and the alternative (a string in every interface) would move parsing to every caller.
#ifndef PGHA_BASE_JSON_H_
#define PGHA_BASE_JSON_H_

#include <nlohmann/json.hpp>

#include <string>

namespace pgha {
using Json = nlohmann::ordered_json;

// The deepest nesting accepted in a document another process wrote. Patroni's own documents
// nest a handful of levels; copying, printing and destroying a document recurse per level, so
// a few kilobytes of "[[[[" must be refused before they are parsed.
constexpr int kMaxUntrustedJsonDepth = 64;

// Parses a document another process wrote: a discarded value (is_discarded()) when it is not
// JSON or nests deeper than `max_depth`. Never throws.
inline Json ParseUntrustedJson(const std::string& text, int max_depth = kMaxUntrustedJsonDepth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > max_depth) return Json(Json::value_t::discarded);
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

// Reading a document another process wrote (a DCS value, a peer's answer, a REST body): a
// missing key, a value of another type or a document that is not an object give `fallback`.
// Never throws, unlike nlohmann's value(), which throws type_error on a wrong type.
inline std::string JsonString(const Json& object, const char* key, const std::string& fallback = "") {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}
// Whether `key` holds the boolean true (anything else, or nothing, is false).
inline bool JsonIsTrue(const Json& object, const char* key) {
  if (!object.is_object()) return false;
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}
}  // namespace pgha

#endif  // PGHA_BASE_JSON_H_
