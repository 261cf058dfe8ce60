#include "pgha/api/json_format.h"

#include <cmath>
#include <cstdio>

#include "pgha/base/utf8.h"

namespace pgha::api {
namespace {

void AppendString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        *out += "\\\"";
        continue;
      case '\\':
        *out += "\\\\";
        continue;
      case '\n':
        *out += "\\n";
        continue;
      case '\r':
        *out += "\\r";
        continue;
      case '\t':
        *out += "\\t";
        continue;
      case '\b':
        *out += "\\b";
        continue;
      case '\f':
        *out += "\\f";
        continue;
      default:
        break;
    }
    if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      *out += buf;
      continue;
    }
    if (c < 0x80) {
      out->push_back(static_cast<char>(c));
      continue;
    }
    // Decode UTF-8 and escape as Python's ensure_ascii does (surrogate pairs above U+FFFF).
    // A byte that is not well-formed UTF-8 (a DCS value or request path may hold anything)
    // becomes U+FFFD: lone surrogates would make the answer unreadable to strict parsers.
    size_t pos = i;
    long cp = NextCodePoint(s, &pos);
    i = pos - 1;
    if (cp < 0) cp = 0xFFFD;
    char buf[16];
    if (cp >= 0x10000) {
      cp -= 0x10000;
      std::snprintf(buf, sizeof buf, "\\u%04lx\\u%04lx", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
    } else {
      std::snprintf(buf, sizeof buf, "\\u%04lx", cp);
    }
    *out += buf;
  }
  out->push_back('"');
}

void Dump(const Json& v, std::string* out) {
  switch (v.type()) {
    case Json::value_t::null:
      *out += "null";
      break;
    case Json::value_t::boolean:
      *out += v.get<bool>() ? "true" : "false";
      break;
    case Json::value_t::number_integer:
      *out += std::to_string(v.get<int64_t>());
      break;
    case Json::value_t::number_unsigned:
      *out += std::to_string(v.get<uint64_t>());
      break;
    case Json::value_t::number_float: {
      double d = v.get<double>();
      if (std::isnan(d)) {
        *out += "NaN";
      } else if (std::isinf(d)) {
        *out += d > 0 ? "Infinity" : "-Infinity";
      } else {
        // Python's repr: shortest round-trip form, always with a '.' or exponent.
        std::string s = v.dump();
        if (s.find_first_of(".eE") == std::string::npos) s += ".0";
        *out += s;
      }
      break;
    }
    case Json::value_t::string:
      AppendString(v.get_ref<const std::string&>(), out);
      break;
    case Json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& item : v) {
        if (!first) *out += ", ";
        first = false;
        Dump(item, out);
      }
      out->push_back(']');
      break;
    }
    case Json::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) *out += ", ";
        first = false;
        AppendString(it.key(), out);
        *out += ": ";
        Dump(it.value(), out);
      }
      out->push_back('}');
      break;
    }
    default:
      *out += "null";
  }
}

}  // namespace

std::string PyJsonDumps(const Json& value) {
  std::string out;
  Dump(value, &out);
  return out;
}

}  // namespace pgha::api
