// Python's float repr, json.dumps, repr and str (pycompat.h).
#include "pgha/base/pycompat.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "pgha/base/utf8.h"

namespace pgha::py {
namespace {

struct CodePointRange {
  char32_t first, last;
};
constexpr CodePointRange kNotPrintable[] = {
#include "pycompat_printable.inc"
};

// str.isprintable() for one character.
bool IsPrintable(char32_t cp) {
  const CodePointRange* end = std::end(kNotPrintable);
  const CodePointRange* it = std::upper_bound(
      std::begin(kNotPrintable), end, cp,
      [](char32_t value, const CodePointRange& range) { return value < range.first; });
  return it == std::begin(kNotPrintable) || cp > std::prev(it)->last;
}

// unicode_repr in CPython's Objects/unicodeobject.c.
std::string ReprString(const std::string& s) {
  bool has_single = s.find('\'') != std::string::npos;
  bool has_double = s.find('"') != std::string::npos;
  char32_t quote = has_single && !has_double ? U'"' : U'\'';
  std::string out(1, static_cast<char>(quote));
  for (char32_t ch : DecodeUtf8(s)) {
    if (ch == quote || ch == U'\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(ch));
    } else if (ch == U'\t') {
      out += "\\t";
    } else if (ch == U'\n') {
      out += "\\n";
    } else if (ch == U'\r') {
      out += "\\r";
    } else if (ch < U' ' || ch == 0x7F) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned>(ch));
    } else if (ch < 0x7F || IsPrintable(ch)) {
      AppendUtf8(ch, &out);
    } else if (ch <= 0xFF) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned>(ch));
    } else if (ch <= 0xFFFF) {
      absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned>(ch));
    } else {
      absl::StrAppendFormat(&out, "\\U%08x", static_cast<unsigned>(ch));
    }
  }
  out.push_back(static_cast<char>(quote));
  return out;
}


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
    // Python escapes everything outside ' '..'~' (its ESCAPE_ASCII), DEL included.
    if (c < 0x20 || c == 0x7f) {
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
        *out += FloatRepr(d);
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

std::string FloatRepr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // The shortest %e form that reads back exactly: what Python's repr() picks.
  char buf[64];
  for (int precision = 0; precision < 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*e", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  std::string text = buf;
  auto e = text.find('e');
  std::string mantissa = text.substr(0, e);
  int exponent = std::atoi(text.c_str() + e + 1);
  bool negative = !mantissa.empty() && mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out;
  if (exponent < -4 || exponent >= 16) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += absl::StrFormat("e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  } else if (exponent < 0) {
    out = "0." + std::string(-exponent - 1, '0') + digits;
  } else {
    if (static_cast<int>(digits.size()) <= exponent + 1) {
      out = digits + std::string(exponent + 1 - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, exponent + 1) + "." + digits.substr(exponent + 1);
    }
  }
  return negative ? "-" + out : out;
}

std::string Repr(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return ReprString(value.get_ref<const std::string&>());
    case Json::value_t::null:
      return "None";
    case Json::value_t::boolean:
      return value.get<bool>() ? "True" : "False";
    case Json::value_t::number_integer:
      return absl::StrCat(value.get<int64_t>());
    case Json::value_t::number_unsigned:
      return absl::StrCat(value.get<uint64_t>());
    case Json::value_t::number_float:
      return FloatRepr(value.get<double>());
    case Json::value_t::object: {
      std::string out = "{";
      for (auto it = value.begin(); it != value.end(); ++it) {
        absl::StrAppend(&out, it == value.begin() ? "" : ", ", ReprString(it.key()), ": ",
                        Repr(it.value()));
      }
      return out + "}";
    }
    case Json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < value.size(); ++i) absl::StrAppend(&out, i ? ", " : "", Repr(value[i]));
      return out + "]";
    }
    default:
      return "None";
  }
}

std::string Str(const Json& value) {
  return value.is_string() ? value.get<std::string>() : Repr(value);
}

std::string JsonDumps(const Json& value) {
  std::string out;
  Dump(value, &out);
  return out;
}

}  // namespace pgha::py
