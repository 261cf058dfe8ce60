// Timestamps as patronictl reads and prints them: --scheduled values (naive times taken as
// local time), and the "2026-11-22 03:07:27.91683" stamps in front of messages. The Python
// rules themselves (dateutil, isoformat) are pgha/base/pycompat_time.h.
//
// Thread-safety: pure functions (the time zone and "now" are arguments).
#ifndef PGHA_CTL_TIME_FORMAT_H_
#define PGHA_CTL_TIME_FORMAT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace pgha::ctl {

struct ScheduledTime {
  absl::Time time;
  std::string iso;  // isoformat() in the offset the text gave (local when it gave none)
};

// "2026-11-22T04:07", "2026-11-22 04:07:27.5+02:00", "2026-11-22T04:07:27Z", "04:07" (today),
// "2026-11-22" (midnight): dateutil's reading of the ISO 8601 forms (py::ParseDateutil).
// kInvalidArgument otherwise.
absl::StatusOr<ScheduledTime> ParseUserTimestamp(const std::string& text, absl::Time now,
                                                 absl::TimeZone local);

// patronictl's parse_scheduled: "now" or "" means no schedule; anything unparsable is
// "Unable to parse scheduled timestamp (...)".
absl::StatusOr<std::optional<ScheduledTime>> ParseScheduled(const std::string& text, absl::Time now,
                                                            absl::TimeZone local);

// A timestamp read from the DCS, printed as Patroni prints the parsed value (isoformat);
// text that does not parse as an aware time is returned as it is.
std::string NormalizeIsoTimestamp(const std::string& text);

// patronictl's timestamp(precision): local "%Y-%m-%d %H:%M:%S.%f" cut to `precision`-1
// fraction digits (precision 0: no fraction).
std::string CtlTimestamp(absl::Time now, absl::TimeZone tz, int precision = 6);

// The example in "When should the switchover take place (e.g. 2026-11-22T05:07 ) ": one hour
// from now, local.
std::string NextHourExample(absl::Time now, absl::TimeZone tz);

// Patroni's postgres_version_to_int ("9.6.3" -> 90603, "15.4" -> 150004); the error messages
// are Patroni's.
absl::StatusOr<int> PostgresVersionToInt(const std::string& version);

// "15.4" from 150004, "9.6.3" from 90603 (format_pg_version).
std::string FormatPgVersion(int64_t version);

}  // namespace pgha::ctl

#endif  // PGHA_CTL_TIME_FORMAT_H_
