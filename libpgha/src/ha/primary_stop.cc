// Stopping a primary within primary_stop_timeout (see executor.h).
#include "executor.h"
#include "pgha/base/log.h"

namespace pgha::ha::internal {

absl::Status StopPrimary(pg::PostgresController& pg, pg::StopMode mode, absl::Duration timeout,
                         const HaConfig& config) {
  if (config.synchronous_mode == config::SyncMode::kOff || config.primary_stop_timeout <= absl::ZeroDuration()) {
    return pg.Stop(mode, timeout);
  }
  absl::Duration limit = config.primary_stop_timeout;
  absl::Status stopped = pg.Stop(mode, limit);
  if (stopped.ok() || !absl::IsDeadlineExceeded(stopped)) return stopped;
  PGHA_LOG(WARNING) << "PostgreSQL did not stop within primary_stop_timeout ("
                    << absl::FormatDuration(limit) << "); aborting it";
  if (mode != pg::StopMode::kImmediate && pg.Stop(pg::StopMode::kImmediate, limit).ok()) {
    return absl::OkStatus();
  }
  PGHA_LOG(WARNING) << "sending SIGKILL to the postmaster and its children";
  return pg.Stop(pg::StopMode::kKill, limit);
}

}  // namespace pgha::ha::internal
