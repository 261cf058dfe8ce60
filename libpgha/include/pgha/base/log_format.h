// log.format and log.dateformat as Patroni reads them: a Python logging format string
// ("%(asctime)s %(levelname)s: %(message)s", Patroni's default) and a strftime date format.
//
// The %-style fields are Python's: `%(key)` then optional flags (-, 0, space, +, #), width,
// .precision and a conversion (s, r, d, i, u, f, F, e, E, g, G, x, X, o). The keys are
// Python's LogRecord attributes; pgha fills those it has (asctime, created, levelname, levelno,
// message, msecs, name "pgha", process, processName, relativeCreated, thread, threadName) and
// gives the source-location ones (filename, funcName, lineno, module, pathname) as empty or 0:
// a native daemon has no Python frame to report. An unknown key or conversion is an error at
// load time (Python reports it on every record instead).
//
// Thread-safety: a LineFormat is immutable; Format may run on many threads at once.
#ifndef PGHA_BASE_LOG_FORMAT_H_
#define PGHA_BASE_LOG_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pgha/base/log.h"

namespace pgha::log {

struct Record {
  absl::Time time;
  Level level = Level::kInfo;
  std::string message;
  int64_t process = 0;
  int64_t thread = 0;            // the kernel's thread id
  absl::Time process_start;      // for relativeCreated
};

class LineFormat {
 public:
  // Patroni's defaults: "%(asctime)s %(levelname)s: %(message)s", asctime as
  // "2026-11-22 04:05:19,123" (local time).
  LineFormat() : LineFormat(*Parse(kDefaultFormat, "")) {}
  static constexpr char kDefaultFormat[] = "%(asctime)s %(levelname)s: %(message)s";

  // `dateformat` empty: Python's default asctime. Errors name the offending field.
  static absl::StatusOr<LineFormat> Parse(const std::string& format, const std::string& dateformat);

  // One line, without the line break.
  std::string Format(const Record& record) const;

 private:
  struct Empty {};
  explicit LineFormat(Empty) {}

  struct Field {
    std::string literal;  // text before the field (the whole piece when key is empty)
    std::string key;      // LogRecord attribute; empty for trailing literal text
    std::string flags;
    int width = -1;
    int precision = -1;
    char conversion = 's';
  };
  std::vector<Field> fields_;
  std::string dateformat_;
};

// The format of every line from now on (the daemon sets it from log.format / log.dateformat).
void SetLineFormat(LineFormat format);

}  // namespace pgha::log

#endif  // PGHA_BASE_LOG_FORMAT_H_
