#include "server_process.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_split.h"
#include "temp_dir.h"

namespace pgha::testing {

ServerProcess::ServerProcess(std::vector<std::string> argv, std::string log_path)
    : argv_(std::move(argv)), log_path_(std::move(log_path)) {}

ServerProcess::~ServerProcess() { Kill(); }

bool ServerProcess::Start() {
  auto started = runner_.Start({.argv = argv_, .output_path = log_path_});
  if (!started.ok()) {
    std::fprintf(stderr, "cannot start %s: %s\n", argv_[0].c_str(),
                 std::string(started.status().message()).c_str());
    return false;
  }
  process_ = std::move(*started);
  return true;
}

bool ServerProcess::Running() {
  if (!process_) return false;
  ProcessResult r;
  return !process_->Poll(&r);
}

pid_t ServerProcess::pid() const { return process_ ? process_->pid() : -1; }

void ServerProcess::Stop() {
  if (!Running()) return;
  process_->Signal(SIGTERM);
  if (!process_->Wait(absl::Seconds(10)).ok()) Kill();
}

void ServerProcess::Kill() {
  if (!Running()) return;
  process_->Signal(SIGKILL);
  (void)process_->Wait(absl::Seconds(30));
}

std::string ServerProcess::LogTail(size_t bytes) const {
  std::string all = ReadFile(log_path_);
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    pid_t pid = std::atoi(entry.path().filename().c_str());
    if (pid <= 0) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // "pid (comm) state ppid ...": the command may hold spaces and parentheses.
    size_t close = line.rfind(')');
    if (close != std::string::npos && std::atoi(line.c_str() + close + 4) == parent) children.push_back(pid);
  }
  return children;
}

std::string FindProgram(const std::string& program, const std::vector<std::string>& extra_dirs) {
  std::vector<std::string> dirs = extra_dirs;
  const char* path = std::getenv("PATH");
  for (absl::string_view d : absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    dirs.emplace_back(d);
  }
  for (const auto& dir : dirs) {
    std::string full = dir + "/" + program;
    if (::access(full.c_str(), X_OK) == 0) return full;
  }
  return "";
}

void SkipBinary(const std::string& why) {
  std::fprintf(stderr, "SKIPPED: %s\n", why.c_str());
  std::fflush(stderr);
  std::_Exit(77);
}

}  // namespace pgha::testing
