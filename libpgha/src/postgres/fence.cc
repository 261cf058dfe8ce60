#include "pgha/postgres/fence.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace pgha::pg {
namespace {

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::string WithoutTrailingSlash(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// The parent pid from /proc/<pid>/stat: "pid (comm) state ppid ...". comm may hold spaces and
// parentheses, so the fields are read after the last ')'.
pid_t ParentOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return 0;
  size_t close = line.rfind(')');
  if (close == std::string::npos || close + 4 > line.size()) return 0;
  const char* p = line.c_str() + close + 2;  // the state letter
  char* end = nullptr;
  long ppid = std::strtol(p + 1, &end, 10);
  return end == p + 1 ? 0 : static_cast<pid_t>(ppid);
}

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return out;
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || pid <= 0) continue;
    if (ParentOf(static_cast<pid_t>(pid)) == parent) out.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return out;
}

}  // namespace

pid_t RunningPostmaster(const std::string& data_dir) {
  std::ifstream in(data_dir + "/postmaster.pid");
  std::string pid_line, dir_line;
  if (!std::getline(in, pid_line) || !std::getline(in, dir_line)) return 0;
  char* end = nullptr;
  long pid = std::strtol(pid_line.c_str(), &end, 10);
  if (end == pid_line.c_str() || pid <= 1) return 0;
  if (WithoutTrailingSlash(dir_line) != WithoutTrailingSlash(data_dir)) return 0;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return 0;
  return static_cast<pid_t>(pid);
}

FenceResult FencePostgres(const std::string& data_dir, FenceStage stage) {
  FenceResult r;
  r.postmaster = RunningPostmaster(data_dir);
  if (r.postmaster == 0) {
    r.detail = "no postmaster is running on " + data_dir;
    return r;
  }
  if (Exists(data_dir + "/standby.signal") || Exists(data_dir + "/recovery.signal")) {
    r.detail = "not a primary (standby.signal or recovery.signal present): left alone";
    return r;
  }
  if (stage == FenceStage::kStopWrites) {
    if (::kill(r.postmaster, SIGINT) != 0) {
      r.detail = "SIGINT to the postmaster failed: errno " + std::to_string(errno);
      return r;
    }
    r.acted = true;
    r.detail = "fast shutdown requested (SIGINT to postmaster " + std::to_string(r.postmaster) + ")";
    return r;
  }
  ::kill(r.postmaster, SIGSTOP);
  for (pid_t child : ChildrenOf(r.postmaster)) {
    if (::kill(child, SIGKILL) == 0) ++r.children_killed;
  }
  ::kill(r.postmaster, SIGKILL);
  r.acted = true;
  r.detail = "killed postmaster " + std::to_string(r.postmaster) + " and " +
             std::to_string(r.children_killed) + " of its processes";
  return r;
}

}  // namespace pgha::pg
