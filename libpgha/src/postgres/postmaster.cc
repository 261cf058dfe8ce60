#include "postmaster.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "pgha/base/log.h"
#include "pgha/postgres/fence.h"

namespace pgha::pg {

std::string ShellQuote(const std::string& word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\"'\"'";
    } else {
      out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

int Postmaster::Pid() const {
  std::ifstream in(data_dir_ + "/postmaster.pid");
  std::string first;
  if (!in || !std::getline(in, first)) return 0;
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(first), &pid) || pid <= 0) return 0;
  if (::kill(pid, 0) != 0 && errno != EPERM) return 0;
  // A stale file can name a pid that now belongs to something else.
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  if (comm && std::getline(comm, name) && name.find("postgres") == std::string::npos &&
      name.find("postmaster") == std::string::npos) {
    return 0;
  }
  return pid;
}

absl::Status Postmaster::Start(const std::vector<std::string>& gucs) {
  std::vector<std::string> options;
  for (const auto& g : gucs) options.push_back(absl::StrCat("-c ", ShellQuote(g)));
  auto r = runner_->Run({.argv = {pg_ctl_, "start", "-D", data_dir_, "-l", log_file_, "-W", "-s",
                                  "-o", absl::StrJoin(options, " ")},
                         .env = {{"LANG", "C"}, {"LC_ALL", "C"}},
                         .timeout = absl::Seconds(60)});
  if (!r.ok()) return r.status();
  if (!r->ok()) {
    return absl::FailedPreconditionError(absl::StrCat("pg_ctl start failed: ", r->Describe(),
                                                      "; log: ", LogTail()));
  }
  return absl::OkStatus();
}

absl::Status Postmaster::Stop(StopMode mode, absl::Duration timeout) {
  if (!Alive()) return absl::OkStatus();
  if (mode == StopMode::kKill) {
    FenceResult killed = FencePostgres(data_dir_, FenceStage::kKill);
    if (!killed.acted) return absl::FailedPreconditionError(absl::StrCat("not killed: ", killed.detail));
    PGHA_LOG(WARNING) << killed.detail;
    // The kernel reaps the children after the postmaster; postmaster.pid stays (a kill leaves it).
    absl::Time deadline = absl::Now() + timeout;
    while (::kill(killed.postmaster, 0) == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
    return absl::OkStatus();
  }
  int64_t seconds = std::max<int64_t>(1, absl::ToInt64Seconds(timeout));
  auto r = runner_->Run({.argv = {pg_ctl_, "stop", "-D", data_dir_, "-m", StopModeName(mode), "-w",
                                  "-t", std::to_string(seconds), "-s"},
                         .env = {{"LANG", "C"}, {"LC_ALL", "C"}},
                         .timeout = timeout + absl::Seconds(10)});
  if (!r.ok()) return r.status();
  if (!r->ok() && Alive()) {
    return absl::DeadlineExceededError(
        absl::StrCat("pg_ctl stop -m ", StopModeName(mode), " failed: ", r->Describe()));
  }
  return absl::OkStatus();
}

absl::Status Postmaster::Reload() {
  auto r = runner_->Run({.argv = {pg_ctl_, "reload", "-D", data_dir_, "-s"},
                         .timeout = absl::Seconds(30)});
  if (!r.ok()) return r.status();
  if (!r->ok()) return absl::FailedPreconditionError(absl::StrCat("pg_ctl reload failed: ", r->Describe()));
  return absl::OkStatus();
}

absl::Status Postmaster::Promote() {
  auto r = runner_->Run({.argv = {pg_ctl_, "promote", "-D", data_dir_, "-W", "-s"},
                         .timeout = absl::Seconds(30)});
  if (!r.ok()) return r.status();
  if (!r->ok()) {
    return absl::FailedPreconditionError(absl::StrCat("pg_ctl promote failed: ", r->Describe()));
  }
  return absl::OkStatus();
}

std::string Postmaster::LogTail(size_t max_lines) const {
  std::ifstream in(log_file_);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > max_lines) lines.erase(lines.begin());
  }
  return absl::StrJoin(lines, " | ");
}

}  // namespace pgha::pg
