// Starting, stopping and signalling the postmaster through pg_ctl, and finding out whether it
// runs from postmaster.pid.
#ifndef PGHA_POSTGRES_POSTMASTER_H_
#define PGHA_POSTGRES_POSTMASTER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "pgha/base/process_runner.h"
#include "pgha/postgres/types.h"

namespace pgha::pg {

class Postmaster {
 public:
  Postmaster(ProcessRunner* runner, std::string pg_ctl, std::string data_dir, std::string log_file)
      : runner_(runner), pg_ctl_(std::move(pg_ctl)), data_dir_(std::move(data_dir)),
        log_file_(std::move(log_file)) {}

  // The running postmaster's pid from postmaster.pid, or 0 (no file, stale file, not postgres).
  int Pid() const;
  bool Alive() const { return Pid() > 0; }

  // pg_ctl start without waiting; `gucs` become `-c name=value` options.
  absl::Status Start(const std::vector<std::string>& gucs);
  // pg_ctl stop -m <mode>, waiting up to `timeout`.
  absl::Status Stop(StopMode mode, absl::Duration timeout);
  absl::Status Reload();
  absl::Status Promote();
  // The last lines of the postmaster's log (for error messages).
  std::string LogTail(size_t max_lines = 5) const;

 private:
  ProcessRunner* runner_;
  std::string pg_ctl_;
  std::string data_dir_;
  std::string log_file_;
};

// Quotes a word for /bin/sh (pg_ctl hands -o options to the shell).
std::string ShellQuote(const std::string& word);

}  // namespace pgha::pg

#endif  // PGHA_POSTGRES_POSTMASTER_H_
