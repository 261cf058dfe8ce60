// Process-wide logging: timestamp, level and message, in Patroni's plain format
// ("2026-11-22 04:05:19,123 INFO: no action. I am (pg1), the leader with the lock").
//
// Thread-safe. Lines go to stderr and, once ConfigureLogFile() was called, to a rotating file.
// Usage: PGHA_LOG(INFO) << "text " << value;
#ifndef PGHA_BASE_LOG_H_
#define PGHA_BASE_LOG_H_

#include <cstdint>
#include <sstream>
#include <string>

#include "absl/status/status.h"

namespace pgha::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kCritical = 4 };

// Parses Patroni's level names (DEBUG, INFO, WARN/WARNING, ERROR, FATAL/CRITICAL).
absl::Status ParseLevel(const std::string& name, Level* out);
void SetLevel(Level level);
Level GetLevel();
bool Enabled(Level level);

struct FileOptions {
  std::string dir;                      // log.dir; the file is <dir>/patroni.log, as Patroni names it
  int64_t file_size = 25'000'000;       // rotate when the file grows past this (log.file_size)
  int file_num = 4;                     // rotated files kept: patroni.log.1 .. patroni.log.N (log.file_num)
  int mode = 0600;                      // permissions of new files (log.mode)
  bool also_stderr = false;             // Patroni logs to files only once log.dir is set
};
absl::Status ConfigureLogFile(const FileOptions& options);

// Writes one formatted line. Used by the macro below; callable directly.
void Write(Level level, const std::string& message);

class Message {
 public:
  explicit Message(Level level) : level_(level) {}
  ~Message() { Write(level_, stream_.str()); }
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  Level level_;
  std::ostringstream stream_;
};

// Turns the streamed expression into void, so that the macro is one expression: safe inside an
// unbraced if/else, and without a dangling else.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace pgha::log

#define PGHA_LOG_LEVEL_DEBUG ::pgha::log::Level::kDebug
#define PGHA_LOG_LEVEL_INFO ::pgha::log::Level::kInfo
#define PGHA_LOG_LEVEL_WARNING ::pgha::log::Level::kWarning
#define PGHA_LOG_LEVEL_ERROR ::pgha::log::Level::kError
#define PGHA_LOG_LEVEL_CRITICAL ::pgha::log::Level::kCritical

#define PGHA_LOG(severity)                                      \
  !::pgha::log::Enabled(PGHA_LOG_LEVEL_##severity)              \
      ? (void)0                                                 \
      : ::pgha::log::Voidify() & ::pgha::log::Message(PGHA_LOG_LEVEL_##severity).stream()

#endif  // PGHA_BASE_LOG_H_
