// Timestamps as Patroni reads and writes them: datetime.isoformat() (the DCS `failover` key's
// scheduled_at, the history key, the REST API, patronictl), datetime's own checks, and
// dateutil.parser.parse for the ISO 8601 forms (what the REST API and patronictl accept for
// --scheduled, what Patroni reads back from the DCS). PyYAML's timestamps are in
// pycompat_yaml.h. Part of the pycompat module (pycompat.h); checked against the installed
// python3 and dateutil by the `pycompat` test.
//
// Thread-safety: pure functions (the default day and the zone are arguments).
#ifndef PGHA_BASE_PYCOMPAT_TIME_H_
#define PGHA_BASE_PYCOMPAT_TIME_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace pgha::py {

// What a Python datetime (or date) holds.
struct DateTime {
  absl::CivilSecond civil;
  int microsecond = 0;
  bool is_date = false;           // a datetime.date: no time of day
  std::optional<int> utc_offset;  // seconds east of UTC; none: a naive datetime
};

// datetime.isoformat(sep): 2026-11-22T04:07:27+02:00, microseconds only when there are any,
// no offset when naive; a date is 2026-11-22. str(datetime) is sep ' '.
std::string IsoFormat(const DateTime& t, char sep = 'T');

// The fields of a date and time as a text gave them, before datetime's own checks.
struct DateTimeFields {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::string_view fraction;      // the digits after the point: six are kept, fewer padded
  std::optional<int> utc_offset;  // seconds east of UTC; none: naive
  bool is_date = false;
};

// datetime(...) (date(...) when is_date) of the fields. kInvalidArgument where Python raises:
// a year outside 1..9999, a day the month lacks, hour > 23, minute or second > 59, an offset
// of a day or more.
absl::StatusOr<DateTime> MakeDateTime(const DateTimeFields& fields);

// isoformat of the instant `t` as seen in `zone` (an aware datetime).
std::string IsoFormat(absl::Time t, absl::TimeZone zone, char sep = 'T');

// The instant `t` names; a naive one is taken in `naive_zone`.
absl::Time ToTime(const DateTime& t, absl::TimeZone naive_zone);

// dateutil.parser.parse(text, default=<midnight of default_day>) for the ISO 8601 forms:
//   [date][(T|t|spaces)time][spaces][zone], with spaces before and after, where
//   date = YYYY-M-D (one or two digits for month and day),
//   time = H[:M[:S[.fraction]]] (one or two digits each; ",fraction" after two digits of
//          seconds; an hour alone needs two digits; without a date the minutes are needed),
//   zone = Z, z, UTC, GMT, +H, +HH, +HHMM, +H:M or +HH:MM (or -),
//   spaces = what str.isspace() accepts in ASCII (space, tab, newline, ...).
// What is accepted is read exactly as dateutil reads it (the pycompat test compares): a
// missing date is default_day, fractions keep six digits, out-of-range fields and offsets of
// a day or more are refused. dateutil reads more than this (free-form text like "Dec 7 4pm",
// compact 20261122T0407, "27,Z"): such text is kInvalidArgument here.
absl::StatusOr<DateTime> ParseDateutil(std::string_view text, absl::CivilDay default_day);

}  // namespace pgha::py

#endif  // PGHA_BASE_PYCOMPAT_TIME_H_
