// PyYAML's implicit resolvers and SafeConstructor for plain scalars (pycompat_yaml.h).
//
// The resolvers are PyYAML's regular expressions written out as scanners: std::regex recurses
// once per character and overflows the stack on a long scalar, and each pattern here is
// deterministic (no alternative needs backtracking past the one the next character picks).
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "pgha/base/pycompat_yaml.h"

namespace pgha::py {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsDigitOrUnderscore(char c) { return IsDigit(c) || c == '_'; }
bool IsBinaryOrUnderscore(char c) { return c == '0' || c == '1' || c == '_'; }
bool IsOctalOrUnderscore(char c) { return (c >= '0' && c <= '7') || c == '_'; }
bool IsHexOrUnderscore(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '_';
}

// The end of the run of characters from `i` that satisfy `pred`.
size_t Span(std::string_view s, size_t i, bool (*pred)(char)) {
  while (i < s.size() && pred(s[i])) ++i;
  return i;
}

size_t SkipSign(std::string_view s, size_t i) {
  return i < s.size() && (s[i] == '-' || s[i] == '+') ? i + 1 : i;
}

bool OneOf(std::string_view s, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (s == w) return true;
  }
  return false;
}

// `([eE][-+][0-9]+)?$` from `i`.
bool ExponentThenEnd(std::string_view s, size_t i) {
  if (i == s.size()) return true;
  if ((s[i] != 'e' && s[i] != 'E') || i + 1 >= s.size() || (s[i + 1] != '-' && s[i + 1] != '+')) {
    return false;
  }
  size_t end = Span(s, i + 2, IsDigit);
  return end > i + 2 && end == s.size();
}

// `(:[0-5]?[0-9])+` from `i`: the end of the run, or npos when there is not one group. Taking
// two digits whenever [0-5][0-9] allows is the only choice that can lead to a match: what
// follows a group is ':', '.' or the end, never a digit.
size_t SexagesimalGroups(std::string_view s, size_t i) {
  size_t groups = 0;
  while (i < s.size() && s[i] == ':') {
    size_t j = i + 1;
    if (j + 1 < s.size() && s[j] >= '0' && s[j] <= '5' && IsDigit(s[j + 1])) {
      j += 2;
    } else if (j < s.size() && IsDigit(s[j])) {
      j += 1;
    } else {
      break;
    }
    i = j;
    ++groups;
  }
  return groups > 0 ? i : std::string_view::npos;
}

bool IsBool(std::string_view s) {
  return OneOf(s, {"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
                   "FALSE", "on", "On", "ON", "off", "Off", "OFF"});
}

bool IsFloat(std::string_view s) {
  if (s.empty()) return false;
  if (s[0] == '.') {
    // \.[0-9][0-9_]*([eE][-+][0-9]+)?  |  \.(nan|NaN|NAN)  |  \.(inf|Inf|INF) (unsigned)
    std::string_view rest = s.substr(1);
    if (OneOf(rest, {"nan", "NaN", "NAN", "inf", "Inf", "INF"})) return true;
    return !rest.empty() && IsDigit(rest[0]) && ExponentThenEnd(s, Span(s, 2, IsDigitOrUnderscore));
  }
  size_t i = SkipSign(s, 0);
  if (i < s.size() && s[i] == '.') return OneOf(s.substr(i + 1), {"inf", "Inf", "INF"});
  if (i >= s.size() || !IsDigit(s[i])) return false;
  size_t after_int = Span(s, i + 1, IsDigitOrUnderscore);
  if (after_int < s.size() && s[after_int] == '.') {
    // [-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?
    return ExponentThenEnd(s, Span(s, after_int + 1, IsDigitOrUnderscore));
  }
  // [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*
  size_t after_groups = SexagesimalGroups(s, after_int);
  if (after_groups == std::string_view::npos || after_groups >= s.size() ||
      s[after_groups] != '.') {
    return false;
  }
  return Span(s, after_groups + 1, IsDigitOrUnderscore) == s.size();
}

bool IsInt(std::string_view s) {
  size_t i = SkipSign(s, 0);
  if (i >= s.size() || !IsDigit(s[i])) return false;
  if (s[i] == '0') {
    if (i + 1 == s.size()) return true;  // 0
    char next = s[i + 1];
    if (next == 'b') {
      size_t end = Span(s, i + 2, IsBinaryOrUnderscore);
      return end > i + 2 && end == s.size();
    }
    if (next == 'x') {
      size_t end = Span(s, i + 2, IsHexOrUnderscore);
      return end > i + 2 && end == s.size();
    }
    return Span(s, i + 1, IsOctalOrUnderscore) == s.size();
  }
  size_t after_int = Span(s, i + 1, IsDigitOrUnderscore);
  if (after_int == s.size()) return true;
  return SexagesimalGroups(s, after_int) == s.size();
}

bool IsNull(std::string_view s) { return OneOf(s, {"~", "null", "Null", "NULL", ""}); }

bool IsSpaceOrTab(char c) { return c == ' ' || c == '\t'; }

// PyYAML's timestamp pattern (the resolver's), with the fields construct_yaml_timestamp takes
// from it; none when the text does not match:
//   [0-9]{4}-[0-9]{2}-[0-9]{2}
//   [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?
//     ([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?
std::optional<DateTimeFields> ScanTimestamp(std::string_view s) {
  size_t i = 0;
  auto number = [&](size_t min, size_t max, int* out) {
    size_t n = 0;
    for (*out = 0; n < max && i < s.size() && IsDigit(s[i]); ++i, ++n)
      *out = *out * 10 + (s[i] - '0');
    return n >= min;
  };
  auto take = [&](char c) { return i < s.size() && s[i] == c ? (++i, true) : false; };
  DateTimeFields f;
  if (!number(4, 4, &f.year) || !take('-')) return std::nullopt;
  size_t month_at = i;
  if (!number(1, 2, &f.month) || !take('-')) return std::nullopt;
  size_t day_at = i;
  if (!number(1, 2, &f.day)) return std::nullopt;
  if (i == s.size()) {  // a date: two digits each
    if (day_at - month_at != 3 || i - day_at != 2) return std::nullopt;
    f.is_date = true;
    return f;
  }
  if (s[i] == 'T' || s[i] == 't') {
    ++i;
  } else if (IsSpaceOrTab(s[i])) {
    i = Span(s, i, IsSpaceOrTab);
  } else {
    return std::nullopt;
  }
  if (!number(1, 2, &f.hour) || !take(':') || !number(2, 2, &f.minute) || !take(':') ||
      !number(2, 2, &f.second)) {
    return std::nullopt;
  }
  if (take('.')) {
    size_t start = i;
    i = Span(s, i, IsDigit);
    f.fraction = s.substr(start, i - start);
  }
  if (i == s.size()) return f;
  i = Span(s, i, IsSpaceOrTab);
  if (take('Z')) {
    f.utc_offset = 0;
    return i == s.size() ? std::optional<DateTimeFields>(f) : std::nullopt;
  }
  if (i >= s.size() || (s[i] != '-' && s[i] != '+')) return std::nullopt;
  bool negative = s[i++] == '-';
  int hours = 0, minutes = 0;
  if (!number(1, 2, &hours)) return std::nullopt;
  if (take(':') && !number(2, 2, &minutes)) return std::nullopt;
  if (i != s.size()) return std::nullopt;
  f.utc_offset = (negative ? -1 : 1) * (hours * 3600 + minutes * 60);
  return f;
}

// Python's `$` also matches before one final newline.
std::string_view WithoutFinalNewline(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  return text;
}

std::string WithoutUnderscores(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out.push_back(c);
  }
  return out;
}

absl::Status Refused(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("PyYAML cannot read '", std::string(text), "': ", std::string(why)));
}

// Python's int(digits, base) for digits already stripped of '_' and sign; false past int64.
bool AccumulateInt(std::string_view digits, int base, unsigned __int128* value) {
  for (char c : digits) {
    int d = IsDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
    *value = *value * base + d;
    if (*value > static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max()) + 1) {
      return false;
    }
  }
  return true;
}

// SafeConstructor.construct_yaml_int.
absl::StatusOr<Json> ConstructInt(std::string_view text) {
  std::string value = WithoutUnderscores(text);
  bool negative = value[0] == '-';
  if (value[0] == '-' || value[0] == '+') value.erase(0, 1);
  unsigned __int128 magnitude = 0;
  bool fits = true;
  if (value == "0") {
    magnitude = 0;
  } else if (value.rfind("0b", 0) == 0 || value.rfind("0x", 0) == 0) {
    if (value.size() == 2) return Refused(text, "no digits after the base prefix");
    fits = AccumulateInt(std::string_view(value).substr(2), value[1] == 'b' ? 2 : 16, &magnitude);
  } else if (value[0] == '0') {
    fits = AccumulateInt(value, 8, &magnitude);
  } else if (value.find(':') != std::string::npos) {
    // Sexagesimal: the last group counts 1, the one before it 60, then 3600, ...
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (size_t colon; (colon = value.find(':', start)) != std::string::npos; start = colon + 1) {
      parts.push_back(std::string_view(value).substr(start, colon - start));
    }
    parts.push_back(std::string_view(value).substr(start));
    for (std::string_view part : parts) {
      unsigned __int128 digit = 0;
      fits = fits && AccumulateInt(part, 10, &digit);
      magnitude = magnitude * 60 + digit;
      fits = fits &&
             magnitude <= static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max()) + 1;
    }
  } else {
    fits = AccumulateInt(value, 10, &magnitude);
  }
  unsigned __int128 limit =
      static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max()) + (negative ? 1 : 0);
  if (!fits || magnitude > limit) {
    return absl::OutOfRangeError(
        absl::StrCat("'", std::string(text), "' is an integer beyond 64 bits"));
  }
  if (negative) return Json(static_cast<int64_t>(-static_cast<__int128>(magnitude)));
  return Json(static_cast<int64_t>(magnitude));
}

double ParseDouble(const std::string& text) { return std::strtod(text.c_str(), nullptr); }

// SafeConstructor.construct_yaml_float.
absl::StatusOr<Json> ConstructFloat(std::string_view text) {
  std::string value = WithoutUnderscores(text);
  for (char& c : value) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
  double sign = 1;
  if (value[0] == '-') sign = -1;
  if (value[0] == '-' || value[0] == '+') value.erase(0, 1);
  if (value == ".inf") return Json(sign * std::numeric_limits<double>::infinity());
  if (value == ".nan") return Json(std::numeric_limits<double>::quiet_NaN());
  if (value.back() == '\n') {
    // Python's float() ignores surrounding whitespace but knows no ".inf".
    std::string bare = value.substr(0, value.size() - 1);
    if (bare == ".inf" || bare == ".nan") return Refused(text, "float() cannot read it");
  }
  if (value.find(':') != std::string::npos) {
    // Python adds the groups from the last one up, in doubles: the same order here gives the
    // same rounding.
    std::vector<double> digits;
    size_t start = 0;
    for (size_t colon; (colon = value.find(':', start)) != std::string::npos; start = colon + 1) {
      digits.push_back(ParseDouble(value.substr(start, colon - start)));
    }
    digits.push_back(ParseDouble(value.substr(start)));
    double base = 1, total = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
      total += *it * base;
      base *= 60;
    }
    return Json(sign * total);
  }
  return Json(sign * ParseDouble(value));
}

}  // namespace

YamlTag ResolveYamlScalar(std::string_view text) {
  // The candidates follow the first character of the whole value, as resolver.py looks them up.
  std::string_view s = WithoutFinalNewline(text);
  char first = text.empty() ? '\0' : text[0];
  auto starts_with_one_of = [&](std::string_view chars) {
    return !text.empty() && chars.find(first) != std::string_view::npos;
  };
  if (starts_with_one_of("yYnNtTfFoO") && IsBool(s)) return YamlTag::kBool;
  if (starts_with_one_of("-+0123456789.") && IsFloat(s)) return YamlTag::kFloat;
  if (starts_with_one_of("-+0123456789") && IsInt(s)) return YamlTag::kInt;
  if (starts_with_one_of("<") && s == "<<") return YamlTag::kMerge;
  if ((text.empty() || starts_with_one_of("~nN")) && IsNull(s)) return YamlTag::kNull;
  if (starts_with_one_of("0123456789") && ScanTimestamp(s)) return YamlTag::kTimestamp;
  if (starts_with_one_of("=") && s == "=") return YamlTag::kValue;
  if (starts_with_one_of("!&*") && s.size() == 1) return YamlTag::kYaml;
  return YamlTag::kStr;
}

absl::StatusOr<DateTime> ParseYamlTimestamp(std::string_view text) {
  // Only text that starts with a digit can match, and no other candidate of the resolver
  // (booleans, numbers) matches text with a '-' after four digits.
  std::optional<DateTimeFields> fields = ScanTimestamp(WithoutFinalNewline(text));
  if (!fields) return absl::InvalidArgumentError("not a YAML timestamp");
  return MakeDateTime(*fields);
}

absl::StatusOr<Json> LoadYamlScalar(std::string_view text) {
  switch (ResolveYamlScalar(text)) {
    case YamlTag::kStr:
      return Json(std::string(text));
    case YamlTag::kTimestamp: {
      auto timestamp = ParseYamlTimestamp(text);  // only to refuse what datetime refuses
      if (!timestamp.ok()) return Refused(text, std::string(timestamp.status().message()));
      return Json(std::string(text));
    }
    case YamlTag::kNull:
      return Json(nullptr);
    case YamlTag::kBool: {
      // bool_values[value.lower()]: a final newline is not in the table.
      if (text.back() == '\n') return Refused(text, "not a boolean word");
      char c = static_cast<char>(text[0] | 0x20);
      return Json(c == 'y' || c == 't' || (c == 'o' && (text[1] | 0x20) == 'n'));
    }
    case YamlTag::kInt: {
      std::string_view digits = text;
      if (digits.back() == '\n') digits.remove_suffix(1);  // int() ignores it
      return ConstructInt(digits);
    }
    case YamlTag::kFloat:
      return ConstructFloat(text);
    case YamlTag::kMerge:
      return Refused(text,
                     "could not determine a constructor for the tag 'tag:yaml.org,2002:merge'");
    case YamlTag::kValue:
      return Refused(text,
                     "could not determine a constructor for the tag 'tag:yaml.org,2002:value'");
    case YamlTag::kYaml:
      return Refused(text,
                     "could not determine a constructor for the tag 'tag:yaml.org,2002:yaml'");
  }
  return Json(std::string(text));
}

}  // namespace pgha::py
