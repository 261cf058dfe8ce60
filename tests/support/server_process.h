// A server the tests start (etcd, ZooKeeper, ...): its own process group, output in a log file,
// stopped by PID when the object dies.
#ifndef PGHA_TESTS_SUPPORT_SERVER_PROCESS_H_
#define PGHA_TESTS_SUPPORT_SERVER_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "pgha/base/process_runner.h"

namespace pgha::testing {

class ServerProcess {
 public:
  ServerProcess(std::vector<std::string> argv, std::string log_path);
  ~ServerProcess();  // SIGKILL if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool Start();                  // false when it could not be executed
  void Stop();                   // SIGTERM, then SIGKILL after 10 s; waits
  void Kill();                   // SIGKILL; waits
  bool Running();
  pid_t pid() const;
  const std::string& log_path() const { return log_path_; }
  std::string LogTail(size_t bytes = 4000) const;

 private:
  std::vector<std::string> argv_;
  std::string log_path_;
  PosixProcessRunner runner_;
  std::unique_ptr<RunningProcess> process_;
};

// The pids of `parent`'s children, from /proc (a postmaster's backends, for instance).
std::vector<pid_t> ChildrenOf(pid_t parent);

// Full path of `program` in PATH (or the extra directories), "" when absent.
std::string FindProgram(const std::string& program, const std::vector<std::string>& extra_dirs = {});

// Ends the test binary with ctest's "skipped" code when a server it needs is not installed.
// CI installs every server, so there the tests run.
[[noreturn]] void SkipBinary(const std::string& why);

}  // namespace pgha::testing

#endif  // PGHA_TESTS_SUPPORT_SERVER_PROCESS_H_
