// Python's datetime.isoformat and datetime's checks, and dateutil's ISO 8601 parsing
// (pycompat_time.h).
#include "pgha/base/pycompat_time.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pgha::py {
namespace {

constexpr int kSecondsPerDay = 86400;

// What dateutil splits on (str.isspace()), ASCII only: the other Unicode spaces are not
// accepted here.
constexpr std::string_view kDateutilSpaces = " \t\n\v\f\r\x1c\x1d\x1e\x1f";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A reader over the text; every Take* either consumes what it names or leaves the position.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : s_(text) {}

  bool AtEnd() const { return i_ == s_.size(); }
  size_t Position() const { return i_; }
  char Peek() const { return AtEnd() ? '\0' : s_[i_]; }
  bool Take(char c) {
    if (Peek() != c) return false;
    ++i_;
    return true;
  }
  bool TakeAnyOf(std::string_view chars) {
    if (AtEnd() || chars.find(s_[i_]) == std::string_view::npos) return false;
    ++i_;
    return true;
  }
  bool TakeWord(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  // Between `min` and `max` digits; their value in `*out`.
  bool TakeNumber(size_t min, size_t max, int* out) {
    size_t n = 0;
    int value = 0;
    while (n < max && i_ + n < s_.size() && IsDigit(s_[i_ + n]))
      value = value * 10 + (s_[i_ + n++] - '0');
    if (n < min) return false;
    i_ += n;
    *out = value;
    return true;
  }
  std::string_view TakeDigits() {
    size_t start = i_;
    while (!AtEnd() && IsDigit(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  size_t SkipSpaces(std::string_view chars = kDateutilSpaces) {
    size_t start = i_;
    while (!AtEnd() && chars.find(s_[i_]) != std::string_view::npos) ++i_;
    return i_ - start;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

// Python keeps six digits of a fraction and pads shorter ones: "5" is 500000 microseconds.
int Microseconds(std::string_view digits) {
  int micros = 0;
  for (size_t k = 0; k < 6; ++k) micros = micros * 10 + (k < digits.size() ? digits[k] - '0' : 0);
  return micros;
}

// The reason alone: callers word the message around the text they were given.
absl::Status Refused(std::string_view why) { return absl::InvalidArgumentError(std::string(why)); }

// Z, z, UTC, GMT, +H, +HH, +HHMM, +H:M, +HH:MM (or -): seconds east of UTC. Consumes nothing when
// there is no zone.
std::optional<int> TakeZone(Scanner& text) {
  Scanner in = text;
  if (in.TakeWord("UTC") || in.TakeWord("GMT") || in.TakeAnyOf("Zz")) {
    text = in;
    return 0;
  }
  char sign = in.Peek();
  if (!in.TakeAnyOf("+-")) return std::nullopt;
  int hours = 0, minutes = 0;
  std::string_view digits = in.TakeDigits();
  if (digits.size() == 1 || digits.size() == 2) {
    hours = std::atoi(std::string(digits).c_str());
    if (in.Take(':') && !in.TakeNumber(1, 2, &minutes)) return std::nullopt;
  } else if (digits.size() == 4) {
    hours = (digits[0] - '0') * 10 + (digits[1] - '0');
    minutes = (digits[2] - '0') * 10 + (digits[3] - '0');
  } else {
    return std::nullopt;
  }
  int offset = hours * 3600 + minutes * 60;
  text = in;
  return sign == '-' ? -offset : offset;
}

}  // namespace

std::string IsoFormat(const DateTime& t, char sep) {
  std::string out =
      absl::StrFormat("%04d-%02d-%02d", t.civil.year(), t.civil.month(), t.civil.day());
  if (t.is_date) return out;
  absl::StrAppendFormat(&out, "%c%02d:%02d:%02d", sep, t.civil.hour(), t.civil.minute(),
                        t.civil.second());
  if (t.microsecond != 0) absl::StrAppendFormat(&out, ".%06d", t.microsecond);
  if (t.utc_offset) {
    int offset = *t.utc_offset;
    int magnitude = offset < 0 ? -offset : offset;
    absl::StrAppendFormat(&out, "%c%02d:%02d", offset < 0 ? '-' : '+', magnitude / 3600,
                          magnitude / 60 % 60);
    if (magnitude % 60 != 0) absl::StrAppendFormat(&out, ":%02d", magnitude % 60);
  }
  return out;
}

std::string IsoFormat(absl::Time t, absl::TimeZone zone, char sep) {
  absl::TimeZone::CivilInfo info = zone.At(t);
  DateTime dt;
  dt.civil = info.cs;
  dt.microsecond = static_cast<int>(absl::ToInt64Microseconds(info.subsecond));
  dt.utc_offset = info.offset;
  return IsoFormat(dt, sep);
}

absl::Time ToTime(const DateTime& t, absl::TimeZone naive_zone) {
  absl::TimeZone zone = t.utc_offset ? absl::FixedTimeZone(*t.utc_offset) : naive_zone;
  return absl::FromCivil(t.civil, zone) + absl::Microseconds(t.microsecond);
}

absl::StatusOr<DateTime> MakeDateTime(const DateTimeFields& f) {
  if (f.year < 1 || f.year > 9999) return Refused("year is out of range");
  if (f.month < 1 || f.month > 12) return Refused("month must be in 1..12");
  absl::CivilDay civil(f.year, f.month, f.day);
  if (f.day < 1 || civil.month() != f.month || civil.day() != f.day) {
    return Refused("day is out of range for month");
  }
  if (f.hour > 23) return Refused("hour must be in 0..23");
  if (f.minute > 59) return Refused("minute must be in 0..59");
  if (f.second > 59) return Refused("second must be in 0..59");
  if (f.utc_offset && (*f.utc_offset >= kSecondsPerDay || *f.utc_offset <= -kSecondsPerDay)) {
    return Refused("the offset is not strictly between -24 and 24 hours");
  }
  DateTime out;
  out.civil = absl::CivilSecond(f.year, f.month, f.day, f.hour, f.minute, f.second);
  out.microsecond = Microseconds(f.fraction);
  out.utc_offset = f.utc_offset;
  out.is_date = f.is_date;
  return out;
}

absl::StatusOr<DateTime> ParseDateutil(std::string_view text, absl::CivilDay default_day) {
  Scanner in(text);
  auto unparsable = [] { return Refused("not an ISO 8601 date and time"); };
  in.SkipSpaces();
  DateTimeFields f;
  f.year = static_cast<int>(default_day.year());
  f.month = default_day.month();
  f.day = default_day.day();
  // The date, when the text starts with four digits and a '-'.
  Scanner probe = in;
  int scratch = 0;
  bool has_date = probe.TakeNumber(4, 4, &scratch) && probe.Take('-');
  bool has_time = !has_date;
  if (has_date) {
    if (!in.TakeNumber(4, 4, &f.year) || !in.Take('-') || !in.TakeNumber(1, 2, &f.month) ||
        !in.Take('-') || !in.TakeNumber(1, 2, &f.day)) {
      return unparsable();
    }
    bool t_separator = in.TakeAnyOf("Tt");
    if (t_separator) {
      has_time = true;
    } else if (in.SkipSpaces() > 0 && IsDigit(in.Peek())) {
      has_time = true;
    }
    // An hour alone (no minutes) is dateutil's reading only with two digits.
    if (has_time) {
      size_t start = in.Position();
      if (!in.TakeNumber(1, 2, &f.hour)) return unparsable();
      if (in.Peek() != ':' && in.Position() - start != 2) return unparsable();
    }
  } else if (!in.TakeNumber(1, 2, &f.hour) || in.Peek() != ':') {
    return unparsable();
  }
  if (has_time && in.Take(':')) {
    if (!in.TakeNumber(1, 2, &f.minute)) return unparsable();
    if (in.Take(':')) {
      size_t start = in.Position();
      if (!in.TakeNumber(1, 2, &f.second)) return unparsable();
      // A comma after one digit of seconds is not a fraction to dateutil ("0,35" is the year
      // 2035); an empty fraction is refused here, though dateutil's reading depends on what
      // follows it.
      bool two_digits = in.Position() - start == 2;
      if (in.Take('.') || (two_digits && in.Take(','))) {
        f.fraction = in.TakeDigits();
        if (f.fraction.empty()) return unparsable();
      }
    }
  }
  if (has_time) {
    in.SkipSpaces();
    f.utc_offset = TakeZone(in);
  }
  in.SkipSpaces();
  if (!in.AtEnd()) return unparsable();
  return MakeDateTime(f);
}

}  // namespace pgha::py
