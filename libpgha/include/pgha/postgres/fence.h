// Fencing: making a primary PostgreSQL stop accepting writes without asking it, by signals only.
// Used by the daemon's write guard and by the separate fencer process (fencer/), so it depends
// on nothing but libc and the C++ standard library: the fencer must stay tiny and obviously
// correct.
//
// Two stages, because a fast shutdown keeps acknowledged writes and a kill is certain:
//   kStopWrites  SIGINT to the postmaster (PostgreSQL's fast shutdown): client sessions are
//                terminated at once, so nothing new is acknowledged, and the walsenders send
//                every WAL record up to the shutdown checkpoint to the replicas before they
//                exit, so nothing that was acknowledged stays behind on this node alone.
//   kKill        SIGSTOP the postmaster (it can no longer fork), SIGKILL each of its children,
//                then the postmaster: no process of this server can acknowledge anything after
//                this returns, whatever state it was in. The children are found by parent pid
//                while the postmaster is stopped: every backend is its own process-group
//                leader (setsid), so a group kill would miss them.
//
// A node that is not a primary is never touched: the postmaster pid must be alive, its
// postmaster.pid must name this data directory, and standby.signal / recovery.signal must be
// absent (a replica, or a node still in recovery, cannot acknowledge writes).
//
// Thread-safety: stateless; safe from any thread. Async-signal-safety is not needed.
#ifndef PGHA_POSTGRES_FENCE_H_
#define PGHA_POSTGRES_FENCE_H_

#include <string>
#include <sys/types.h>

namespace pgha::pg {

enum class FenceStage { kStopWrites, kKill };

struct FenceResult {
  bool acted = false;   // a signal was sent to a running primary
  pid_t postmaster = 0;
  int children_killed = 0;
  std::string detail;   // what was done, or why nothing was
};

FenceResult FencePostgres(const std::string& data_dir, FenceStage stage);

// The pid of the postmaster running on `data_dir`, 0 when none is (postmaster.pid missing,
// unreadable, stale or naming another directory).
pid_t RunningPostmaster(const std::string& data_dir);

}  // namespace pgha::pg

#endif  // PGHA_POSTGRES_FENCE_H_
