#include "zk_log.h"

#include <zookeeper/zookeeper.h>

#include <mutex>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "pgha/base/log.h"

namespace pgha::backends::zk {
namespace {

constexpr absl::Duration kWarningInterval = absl::Seconds(30);

// The C client formats "<time>:<pid>(<thread>):ZOO_ERROR@<function>@<line>: <text>".
void Split(absl::string_view line, absl::string_view* level, absl::string_view* text) {
  *level = "";
  *text = absl::StripTrailingAsciiWhitespace(line);
  size_t at = line.find(":ZOO_");
  if (at == absl::string_view::npos) return;
  absl::string_view rest = line.substr(at + 1);
  size_t level_end = rest.find('@');
  if (level_end == absl::string_view::npos) return;
  *level = rest.substr(0, level_end);
  size_t body = rest.find(": ", level_end);
  if (body != absl::string_view::npos) {
    *text = absl::StripTrailingAsciiWhitespace(rest.substr(body + 2));
  }
}

}  // namespace

void ConfigureClientLogging() {
  zoo_set_debug_level(log::Enabled(log::Level::kDebug) ? ZOO_LOG_LEVEL_INFO : ZOO_LOG_LEVEL_WARN);
}

void ForwardClientLog(const char* message) {
  if (message == nullptr) return;
  absl::string_view level, text;
  Split(message, &level, &text);
  bool serious = level == "ZOO_ERROR" || level == "ZOO_WARN";
  if (!serious) {
    PGHA_LOG(DEBUG) << "zookeeper client: " << text;
    return;
  }
  static std::mutex mu;
  static absl::Time last_warning = absl::InfinitePast();
  static int held_back = 0;
  int suppressed = -1;
  {
    std::lock_guard<std::mutex> lock(mu);
    absl::Time now = absl::Now();
    if (now - last_warning >= kWarningInterval) {
      last_warning = now;
      suppressed = held_back;
      held_back = 0;
    } else {
      ++held_back;
    }
  }
  if (suppressed < 0) {
    PGHA_LOG(DEBUG) << "zookeeper client: " << text;
  } else if (suppressed == 0) {
    PGHA_LOG(WARNING) << "zookeeper client: " << text;
  } else {
    PGHA_LOG(WARNING) << "zookeeper client: " << text << " (" << suppressed
                      << " similar lines held back)";
  }
}

}  // namespace pgha::backends::zk
