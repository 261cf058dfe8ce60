// Runs external programs (pg_ctl, initdb, pg_basebackup, pg_rewind, callbacks) from an argv
// vector, never through a shell string.
//
// Thread-safety: PosixProcessRunner is stateless and safe to share. A RunningProcess belongs to
// one thread at a time.
#ifndef PGHA_BASE_PROCESS_RUNNER_H_
#define PGHA_BASE_PROCESS_RUNNER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace pgha {

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no slash
  // Variables added to (or replacing those of) the inherited environment.
  std::vector<std::pair<std::string, std::string>> env;
  // Variables removed from the inherited environment (credentials the child must not see).
  std::vector<std::string> unset_env;
  std::string cwd;          // empty: inherit
  std::string output_path;  // empty: stdout+stderr captured into ProcessResult::output
  bool inherit_output = false;  // stdout/stderr are ours (callbacks write into the daemon's log)
  std::string stdin_data;   // written to the child's stdin, which is then closed
  absl::Duration timeout = absl::InfiniteDuration();  // then SIGTERM, 5 s later SIGKILL
  size_t max_output_bytes = 1 << 20;                  // the rest is dropped
};

struct ProcessResult {
  int exit_code = -1;   // -1 when killed by a signal
  int term_signal = 0;  // the signal that ended it, 0 if it exited
  bool timed_out = false;
  std::string output;
  bool ok() const { return exit_code == 0; }
  // "exit code 3", "killed by signal 9", "timed out after 5s", followed by the output's last line.
  std::string Describe() const;
};

class RunningProcess {
 public:
  virtual ~RunningProcess() = default;
  virtual pid_t pid() const = 0;
  // Non-blocking: true once the process ended, with its result.
  virtual bool Poll(ProcessResult* result) = 0;
  // Blocks until the process ends or `timeout` passes (then returns kDeadlineExceeded).
  virtual absl::StatusOr<ProcessResult> Wait(absl::Duration timeout) = 0;
  // Signals the whole process group (the program and its children).
  virtual void Signal(int signo) = 0;
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Runs to completion. kNotFound when the program cannot be executed, kInternal when fork or
  // pipe fail. A non-zero exit is not an error here: look at ProcessResult.
  virtual absl::StatusOr<ProcessResult> Run(const ProcessOptions& options) = 0;
  // Starts without waiting. Output is captured (or sent to output_path) until Wait/Poll.
  virtual absl::StatusOr<std::unique_ptr<RunningProcess>> Start(const ProcessOptions& options) = 0;
};

// Splits a command line the way a POSIX shell splits words (Python's shlex.split, which Patroni
// uses for callbacks and scripts): whitespace separates, quotes group, backslash escapes. No
// expansion of any kind. kInvalidArgument for an unterminated quote.
absl::StatusOr<std::vector<std::string>> SplitCommandLine(const std::string& command);

class PosixProcessRunner final : public ProcessRunner {
 public:
  absl::StatusOr<ProcessResult> Run(const ProcessOptions& options) override;
  absl::StatusOr<std::unique_ptr<RunningProcess>> Start(const ProcessOptions& options) override;
};

}  // namespace pgha

#endif  // PGHA_BASE_PROCESS_RUNNER_H_
