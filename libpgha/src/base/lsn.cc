#include "pgha/base/lsn.h"

#include <cctype>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pgha {

absl::StatusOr<Lsn> ParseLsn(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size() || slash > 8 ||
      text.size() - slash - 1 > 8) {
    return absl::InvalidArgumentError(absl::StrCat("not an LSN: '", text, "'"));
  }
  uint32_t high = 0;
  uint32_t low = 0;
  if (!absl::SimpleHexAtoi(text.substr(0, slash), &high) ||
      !absl::SimpleHexAtoi(text.substr(slash + 1), &low)) {
    return absl::InvalidArgumentError(absl::StrCat("not an LSN: '", text, "'"));
  }
  for (char c : text) {
    if (c != '/' && !std::isxdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(absl::StrCat("not an LSN: '", text, "'"));
    }
  }
  return (static_cast<Lsn>(high) << 32) | low;
}

std::string FormatLsn(Lsn lsn) {
  return absl::StrFormat("%X/%X", static_cast<uint32_t>(lsn >> 32), static_cast<uint32_t>(lsn));
}

absl::StatusOr<int64_t> ParseByteSize(const std::string& raw) {
  std::string text(absl::StripAsciiWhitespace(raw));
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0) return absl::InvalidArgumentError(absl::StrCat("not a size: '", raw, "'"));
  int64_t number = 0;
  if (!absl::SimpleAtoi(text.substr(0, digits), &number)) {
    return absl::InvalidArgumentError(absl::StrCat("not a size: '", raw, "'"));
  }
  std::string unit(absl::StripAsciiWhitespace(text.substr(digits)));
  int64_t multiplier = 1;
  if (unit.empty() || unit == "B") {
    multiplier = 1;
  } else if (unit == "kB" || unit == "KB") {
    multiplier = int64_t{1} << 10;
  } else if (unit == "MB") {
    multiplier = int64_t{1} << 20;
  } else if (unit == "GB") {
    multiplier = int64_t{1} << 30;
  } else if (unit == "TB") {
    multiplier = int64_t{1} << 40;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown size unit '", unit, "' in '", raw,
                                                    "' (use B, kB, MB, GB or TB)"));
  }
  if (number > INT64_MAX / multiplier) {
    return absl::InvalidArgumentError(absl::StrCat("size too large: '", raw, "'"));
  }
  return number * multiplier;
}

}  // namespace pgha
