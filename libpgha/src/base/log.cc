#include "pgha/base/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "pgha/base/log_format.h"

namespace pgha::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

struct FileSink {
  std::mutex mu;
  FileOptions options;
  int fd = -1;
  int64_t size = 0;
  bool configured = false;
};

const absl::Time kProcessStart = absl::Now();

struct FormatHolder {
  std::mutex mu;
  std::shared_ptr<const LineFormat> format = std::make_shared<const LineFormat>();
};

FormatHolder& Formats() {
  static FormatHolder* holder = new FormatHolder();
  return *holder;
}

FileSink& Sink() {
  static FileSink* sink = new FileSink();
  return *sink;
}

std::string FilePath(const FileOptions& o, int index) {
  std::string base = absl::StrCat(o.dir, "/patroni.log");
  return index == 0 ? base : absl::StrCat(base, ".", index);
}

// Called with the sink's mutex held.
void OpenLocked(FileSink& sink) {
  sink.fd = ::open(FilePath(sink.options, 0).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                   sink.options.mode);
  struct stat st {};
  sink.size = (sink.fd >= 0 && ::fstat(sink.fd, &st) == 0) ? st.st_size : 0;
}

void RotateLocked(FileSink& sink) {
  if (sink.fd >= 0) ::close(sink.fd);
  for (int i = sink.options.file_num; i > 0; --i) {
    ::rename(FilePath(sink.options, i - 1).c_str(), FilePath(sink.options, i).c_str());
  }
  OpenLocked(sink);
}

void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) return;  // a logger must never stop the program
    done += static_cast<size_t>(n);
  }
}

}  // namespace

absl::Status ParseLevel(const std::string& name, Level* out) {
  std::string upper = absl::AsciiStrToUpper(name);
  if (upper == "DEBUG") {
    *out = Level::kDebug;
  } else if (upper == "INFO") {
    *out = Level::kInfo;
  } else if (upper == "WARN" || upper == "WARNING") {
    *out = Level::kWarning;
  } else if (upper == "ERROR") {
    *out = Level::kError;
  } else if (upper == "FATAL" || upper == "CRITICAL") {
    *out = Level::kCritical;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown log level '", name, "'"));
  }
  return absl::OkStatus();
}

void SetLevel(Level level) { g_level.store(static_cast<int>(level)); }
Level GetLevel() { return static_cast<Level>(g_level.load()); }
bool Enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

absl::Status ConfigureLogFile(const FileOptions& options) {
  FileSink& sink = Sink();
  std::lock_guard<std::mutex> lock(sink.mu);
  if (sink.fd >= 0) ::close(sink.fd);
  sink.options = options;
  if (sink.options.file_num < 1) sink.options.file_num = 1;
  OpenLocked(sink);
  if (sink.fd < 0) {
    sink.configured = false;
    return absl::UnavailableError(
        absl::StrCat("cannot open log file ", FilePath(options, 0), ": ", std::strerror(errno)));
  }
  sink.configured = true;
  return absl::OkStatus();
}

// One record, one line: a line break or other control character in a message (a request path,
// a DCS value, a peer's answer) is written as an escape, so nobody can forge log lines.
std::string OneLine(const std::string& message) {
  std::string out;
  out.reserve(message.size());
  for (char ch : message) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out.push_back('\t');
    } else if (c < 0x20 || c == 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

void SetLineFormat(LineFormat format) {
  FormatHolder& holder = Formats();
  std::lock_guard<std::mutex> lock(holder.mu);
  holder.format = std::make_shared<const LineFormat>(std::move(format));
}

void Write(Level level, const std::string& message) {
  std::shared_ptr<const LineFormat> format;
  {
    FormatHolder& holder = Formats();
    std::lock_guard<std::mutex> lock(holder.mu);
    format = holder.format;
  }
  static const int64_t process = ::getpid();
  Record record{.time = absl::Now(),
                .level = level,
                .message = message,
                .process = process,
                .thread = static_cast<int64_t>(::syscall(SYS_gettid)),
                .process_start = kProcessStart};
  // A line break in the message (or in the format) is escaped: one record stays one line.
  std::string line = OneLine(format->Format(record)) + "\n";
  FileSink& sink = Sink();
  std::lock_guard<std::mutex> lock(sink.mu);
  if (sink.configured && sink.fd >= 0) {
    if (sink.size + static_cast<int64_t>(line.size()) > sink.options.file_size) RotateLocked(sink);
    if (sink.fd >= 0) {
      WriteAll(sink.fd, line);
      sink.size += static_cast<int64_t>(line.size());
    }
    if (!sink.options.also_stderr) return;
  }
  WriteAll(STDERR_FILENO, line);
}

}  // namespace pgha::log
