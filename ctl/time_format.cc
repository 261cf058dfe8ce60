#include "ctl/time_format.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "pgha/base/pycompat_time.h"

namespace pgha::ctl {

absl::StatusOr<ScheduledTime> ParseUserTimestamp(const std::string& text, absl::Time now,
                                                 absl::TimeZone local) {
  // dateutil fills a missing date with today's; a naive time is local (patronictl localizes it).
  auto parsed = py::ParseDateutil(text, absl::ToCivilDay(now, local));
  if (!parsed.ok()) return parsed.status();
  absl::Time t = py::ToTime(*parsed, local);
  absl::TimeZone zone = parsed->utc_offset ? absl::FixedTimeZone(*parsed->utc_offset) : local;
  return ScheduledTime{t, py::IsoFormat(t, zone)};
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

std::string NormalizeIsoTimestamp(const std::string& text) {
  auto parsed = py::ParseDateutil(text, absl::CivilDay(1970, 1, 1));
  return parsed.ok() && parsed->utc_offset ? py::IsoFormat(*parsed) : text;
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
