#include "yaml_scalars.h"

#include <cmath>
#include <limits>
#include <regex>

#include "absl/strings/str_replace.h"

namespace pgha::config::internal {
namespace {

const std::regex& BoolRe() {
  static const std::regex re(
      "^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$");
  return re;
}
const std::regex& IntRe() {
  static const std::regex re(
      "^([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|"
      "[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)$");
  return re;
}
const std::regex& FloatRe() {
  static const std::regex re(
      "^([-+]?([0-9][0-9_]*)\\.[0-9_]*([eE][-+][0-9]+)?|\\.[0-9_]+([eE][-+][0-9]+)?|"
      "[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$");
  return re;
}

bool IsNull(const std::string& t) {
  return t.empty() || t == "~" || t == "null" || t == "Null" || t == "NULL";
}

// Parses an integer that matched IntRe. Returns false on overflow.
bool ParseYamlInt(std::string t, int64_t* out) {
  t = absl::StrReplaceAll(t, {{"_", ""}});
  bool negative = false;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
    negative = t[0] == '-';
    t = t.substr(1);
  }
  unsigned __int128 value = 0;
  auto accumulate = [&](const std::string& digits, int base) {
    for (char c : digits) {
      int d = (c >= '0' && c <= '9') ? c - '0' : (c | 0x20) - 'a' + 10;
      value = value * base + d;
      if (value > static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max())) return false;
    }
    return true;
  };
  bool ok = true;
  if (t.rfind("0b", 0) == 0) {
    ok = accumulate(t.substr(2), 2);
  } else if (t.rfind("0x", 0) == 0) {
    ok = accumulate(t.substr(2), 16);
  } else if (t.find(':') != std::string::npos) {
    // Sexagesimal: 1:30 is 90.
    size_t start = 0;
    while (ok) {
      size_t colon = t.find(':', start);
      std::string part = t.substr(start, colon == std::string::npos ? std::string::npos
                                                                    : colon - start);
      unsigned __int128 before = value;
      value = 0;
      ok = accumulate(part, 10);
      value += before * 60;
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  } else if (t.size() > 1 && t[0] == '0') {
    ok = accumulate(t.substr(1), 8);
  } else {
    ok = accumulate(t, 10);
  }
  if (!ok) return false;
  *out = negative ? -static_cast<int64_t>(value) : static_cast<int64_t>(value);
  return true;
}

}  // namespace

// No boolean, integer or float of YAML 1.1 is this long; longer text stays a string without
// going through std::regex, which recurses once per character (a 30,000-digit scalar overflowed
// the stack).
constexpr size_t kMaxTypedScalar = 256;

Json ResolvePlainScalar(const std::string& text) {
  if (IsNull(text)) return Json(nullptr);
  if (text.size() > kMaxTypedScalar) return Json(text);
  if (std::regex_match(text, BoolRe())) {
    char c = text[0] | 0x20;
    return Json(c == 'y' || c == 't' || (c == 'o' && (text[1] | 0x20) == 'n'));
  }
  if (std::regex_match(text, IntRe())) {
    int64_t v = 0;
    if (ParseYamlInt(text, &v)) return Json(v);
    return Json(text);  // out of range for us: keep the text rather than invent a number
  }
  if (std::regex_match(text, FloatRe())) {
    std::string t = absl::StrReplaceAll(text, {{"_", ""}});
    if (t.find("inf") != std::string::npos || t.find("Inf") != std::string::npos ||
        t.find("INF") != std::string::npos) {
      return Json(t[0] == '-' ? -std::numeric_limits<double>::infinity()
                              : std::numeric_limits<double>::infinity());
    }
    if (t.find(':') == std::string::npos && t.find("nan") == std::string::npos &&
        t.find("NaN") == std::string::npos && t.find("NAN") == std::string::npos) {
      return Json(std::strtod(t.c_str(), nullptr));
    }
    return Json(text);
  }
  return Json(text);
}

bool NeedsQuoting(const std::string& text) {
  if (text.empty()) return true;
  if (!ResolvePlainScalar(text).is_string()) return true;
  // Leading/trailing spaces and YAML indicators would change or break the plain form.
  if (text.front() == ' ' || text.back() == ' ') return true;
  static const std::string kIndicators = "-?:,[]{}#&*!|>'\"%@`";
  if (kIndicators.find(text.front()) != std::string::npos) return true;
  if (text.find(": ") != std::string::npos || text.find(" #") != std::string::npos) return true;
  for (char c : text) {
    if (c == '\n' || c == '\t' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return text.back() == ':';
}

}  // namespace pgha::config::internal
