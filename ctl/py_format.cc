#include "ctl/py_format.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pgha::ctl {
namespace {

bool IsNumeric(const Json& v) { return v.is_number() || v.is_boolean(); }

long double AsLongDouble(const Json& v) {
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (v.is_number_unsigned()) return static_cast<long double>(v.get<uint64_t>());
  if (v.is_number_integer()) return static_cast<long double>(v.get<int64_t>());
  return static_cast<long double>(v.get<double>());
}

}  // namespace

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
