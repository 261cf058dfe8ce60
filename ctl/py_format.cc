#include "ctl/py_format.h"

#include "pgha/base/pycompat.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pgha::ctl {
namespace {

std::string ReprString(const std::string& s) {
  bool has_single = s.find('\'') != std::string::npos;
  bool has_double = s.find('"') != std::string::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == static_cast<unsigned char>(quote)) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += absl::StrFormat("\\x%02x", c);
    } else {
      out += static_cast<char>(c);  // UTF-8 bytes of printable characters stay as they are
    }
  }
  out += quote;
  return out;
}

bool IsNumeric(const Json& v) { return v.is_number() || v.is_boolean(); }

long double AsLongDouble(const Json& v) {
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (v.is_number_unsigned()) return static_cast<long double>(v.get<uint64_t>());
  if (v.is_number_integer()) return static_cast<long double>(v.get<int64_t>());
  return static_cast<long double>(v.get<double>());
}

}  // namespace

std::string PyRepr(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return ReprString(value.get_ref<const std::string&>());
    case Json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        absl::StrAppend(&out, first ? "" : ", ", ReprString(it.key()), ": ", PyRepr(it.value()));
        first = false;
      }
      return out + "}";
    }
    case Json::value_t::array: {
      std::string out = "[";
      bool first = true;
      for (const auto& item : value) {
        absl::StrAppend(&out, first ? "" : ", ", PyRepr(item));
        first = false;
      }
      return out + "]";
    }
    default:
      return PyStr(value);
  }
}

std::string PyStr(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return value.get<std::string>();
    case Json::value_t::null:
      return "None";
    case Json::value_t::boolean:
      return value.get<bool>() ? "True" : "False";
    case Json::value_t::number_integer:
      return absl::StrCat(value.get<int64_t>());
    case Json::value_t::number_unsigned:
      return absl::StrCat(value.get<uint64_t>());
    case Json::value_t::number_float:
      return py::FloatRepr(value.get<double>());
    default:
      return PyRepr(value);
  }
}

bool PyEquals(const Json& a, const Json& b) {
  if (IsNumeric(a) && IsNumeric(b)) return AsLongDouble(a) == AsLongDouble(b);
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !PyEquals(it.value(), *other)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!PyEquals(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

std::string PyTitle(const std::string& text) {
  std::string out = text;
  bool previous_cased = false;
  for (char& c : out) {
    bool alpha = absl::ascii_isalpha(static_cast<unsigned char>(c));
    if (alpha) {
      c = previous_cased ? absl::ascii_tolower(c) : absl::ascii_toupper(c);
    }
    previous_cased = alpha;
  }
  return out;
}

int64_t PyRound(double x) { return static_cast<int64_t>(std::nearbyint(x)); }

}  // namespace pgha::ctl
