#include "ctl/time_format.h"

#include <regex>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace pgha::ctl {
namespace {

int ToInt(const std::string& s) {
  int v = 0;
  return absl::SimpleAtoi(s, &v) ? v : 0;
}

// "Z", "UTC", "+02", "+0200", "+02:00" -> seconds east of UTC.
std::optional<int> ParseOffset(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text == "Z" || text == "z" || text == "UTC") return 0;
  int sign = text[0] == '-' ? -1 : 1;
  std::string digits;
  for (char c : text.substr(1)) {
    if (c != ':') digits += c;
  }
  int hours = ToInt(digits.substr(0, 2));
  int minutes = digits.size() > 2 ? ToInt(digits.substr(2, 2)) : 0;
  return sign * (hours * 3600 + minutes * 60);
}

}  // namespace

absl::StatusOr<ScheduledTime> ParseUserTimestamp(const std::string& text, absl::Time now,
                                                 absl::TimeZone local) {
  static const std::regex kDateTime(
      R"(\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?)"
      R"(\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?\s*)");
  static const std::regex kTimeOnly(
      R"(\s*()()()(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?\s*)");
  std::smatch m;
  if (!std::regex_match(text, m, kDateTime) && !std::regex_match(text, m, kTimeOnly)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot parse timestamp '", text, "'"));
  }
  bool has_date = m[1].matched && m[1].length() > 0;
  absl::TimeZone tz = local;
  if (auto offset = ParseOffset(m[8].str())) tz = absl::FixedTimeZone(*offset);
  // dateutil fills a missing date with today's (in the zone of the result).
  absl::CivilDay today = absl::ToCivilDay(now, tz);
  int year = has_date ? ToInt(m[1].str()) : static_cast<int>(today.year());
  int month = has_date ? ToInt(m[2].str()) : today.month();
  int day = has_date ? ToInt(m[3].str()) : today.day();
  int hour = m[4].matched ? ToInt(m[4].str()) : 0;
  int minute = m[5].matched ? ToInt(m[5].str()) : 0;
  int second = m[6].matched ? ToInt(m[6].str()) : 0;
  absl::CivilSecond cs(year, month, day, hour, minute, second);
  if (cs.year() != year || cs.month() != month || cs.day() != day || cs.hour() != hour ||
      cs.minute() != minute || cs.second() != second) {
    return absl::InvalidArgumentError(absl::StrCat("no such date or time: '", text, "'"));
  }
  int64_t micros = 0;
  if (m[7].matched) {
    std::string frac = (m[7].str() + "000000").substr(0, 6);
    micros = ToInt(frac);
  }
  absl::Time t = absl::FromCivil(cs, tz) + absl::Microseconds(micros);
  return ScheduledTime{t, PyIsoFormat(t, tz)};
}

absl::StatusOr<std::optional<ScheduledTime>> ParseScheduled(const std::string& text, absl::Time now,
                                                            absl::TimeZone local) {
  if (text.empty() || text == "now") return std::optional<ScheduledTime>();
  auto parsed = ParseUserTimestamp(text, now, local);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Unable to parse scheduled timestamp (", text,
                     "). It should be in an unambiguous format (e.g. ISO 8601)"));
  }
  return std::optional<ScheduledTime>(*parsed);
}

std::string PyIsoFormat(absl::Time t, absl::TimeZone tz) {
  std::string out = absl::FormatTime("%Y-%m-%dT%H:%M:%S", t, tz);
  absl::Duration frac = t - absl::FromUnixSeconds(absl::ToUnixSeconds(t));
  int64_t micros = absl::ToInt64Microseconds(frac);
  if (micros != 0) out += absl::StrFormat(".%06d", micros);
  int offset = tz.At(t).offset;
  int abs = offset < 0 ? -offset : offset;
  out += absl::StrFormat("%c%02d:%02d", offset < 0 ? '-' : '+', abs / 3600, abs / 60 % 60);
  if (abs % 60) out += absl::StrFormat(":%02d", abs % 60);
  return out;
}

std::string NormalizeIsoTimestamp(const std::string& text) {
  static const std::regex kIso(
      R"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}(:?\d{2})?))");
  if (!std::regex_match(text, kIso)) return text;
  auto parsed = ParseUserTimestamp(text, absl::UnixEpoch(), absl::UTCTimeZone());
  return parsed.ok() ? parsed->iso : text;
}

std::string CtlTimestamp(absl::Time now, absl::TimeZone tz, int precision) {
  std::string full = absl::FormatTime("%Y-%m-%d %H:%M:%E6S", now, tz);  // 26 characters
  int keep = static_cast<int>(full.size()) + precision - 7;
  return full.substr(0, keep < 0 ? 0 : keep);
}

std::string NextHourExample(absl::Time now, absl::TimeZone tz) {
  return absl::FormatTime("%Y-%m-%dT%H:%M", now + absl::Hours(1), tz);
}

absl::StatusOr<int> PostgresVersionToInt(const std::string& version) {
  std::vector<int> components;
  for (absl::string_view part : absl::StrSplit(version, '.')) {
    int v = 0;
    if (!absl::SimpleAtoi(part, &v)) {
      return absl::InvalidArgumentError(absl::StrCat("Invalid PostgreSQL version: ", version));
    }
    components.push_back(v);
  }
  if (components.size() < 2 || (components.size() == 2 && components[0] < 10) ||
      components.size() > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid PostgreSQL version format: X.Y or X.Y.Z is accepted: ", version));
  }
  if (components.size() == 2) components.insert(components.begin() + 1, 0);
  std::string digits;
  for (int c : components) digits += absl::StrFormat("%02d", c);
  int out = 0;
  if (!absl::SimpleAtoi(digits, &out)) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid PostgreSQL version: ", version));
  }
  return out;
}

std::string FormatPgVersion(int64_t version) {
  if (version < 100000) {
    return absl::StrCat(version / 10000, ".", version / 100 % 100, ".", version % 100);
  }
  return absl::StrCat(version / 10000, ".", version % 100);
}

}  // namespace pgha::ctl
