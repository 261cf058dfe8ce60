// PostgresController: everything pgha does to the local PostgreSQL: observe it, start and stop
// it, bootstrap a new cluster, clone a replica, promote, follow a new leader, rewind, wipe,
// manage slots and synchronous_standby_names, run user callbacks.
//
// The HA engine decides; the controller acts. Every action is safe to repeat (it checks the
// state first) and returns a Status whose message says what went wrong in terms a DBA can act
// on. Slow actions (bootstrap, clone, rewind, restart) block the caller: run them on a worker.
//
// Thread-safety: one caller at a time (the HA loop or its worker), except ObservePositions(),
// which the REST API calls from its own threads.
#ifndef PGHA_POSTGRES_CONTROLLER_H_
#define PGHA_POSTGRES_CONTROLLER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pgha/base/clock.h"
#include "pgha/base/process_runner.h"
#include "pgha/config/config.h"
#include "pgha/config/dynamic_config.h"
#include "pgha/postgres/types.h"

namespace pgha::pg {

enum class CallbackAction { kOnStart, kOnStop, kOnRestart, kOnReload, kOnRoleChange };
const char* CallbackActionName(CallbackAction action);  // "on_start", ...

// Where a new replica's data comes from.
struct CloneSource {
  std::optional<Upstream> upstream;  // the leader or a clonefrom member; unset: no running leader
};

class PostgresController {
 public:
  virtual ~PostgresController() = default;

  // Settings that change at run time: the merged local + dynamic configuration. Rewrites the
  // configuration files when they differ (and reloads a running server).
  virtual absl::Status ApplyConfig(const config::EffectiveConfig& effective) = 0;

  // Never fails: what cannot be read is left unset (and `error` says why).
  virtual Observation Observe() = 0;
  // Only the role, WAL positions, timeline and (on a primary) pg_stat_replication, for the
  // REST API's live GET /patroni; safe to call from any thread at any time. `accepting` is false when the
  // query failed. The default suits controllers without threads (tests).
  virtual Observation ObservePositions() { return Observe(); }

  // initdb (or the custom bootstrap method), our configuration files, start as primary, create
  // the configured roles, run post_bootstrap. On failure the data directory is moved aside to
  // <data_dir>.failed and the error returned. Refuses a non-empty data directory.
  virtual absl::Status Bootstrap() = 0;

  // Creates a replica's data directory with the configured create_replica_methods, in order,
  // until one succeeds; writes the standby configuration. Leaves PostgreSQL stopped.
  virtual absl::Status CreateReplica(const CloneSource& source) = 0;

  // Starts PostgreSQL as primary (no upstream) or as a standby of `upstream` and waits until it
  // accepts connections or `timeout` passes (kDeadlineExceeded; it keeps starting).
  virtual absl::Status Start(const std::optional<Upstream>& upstream, bool as_standby,
                             absl::Duration timeout) = 0;
  virtual absl::Status Stop(StopMode mode, absl::Duration timeout) = 0;
  virtual absl::Status Restart(const std::optional<Upstream>& upstream, bool as_standby,
                               absl::Duration timeout) = 0;
  virtual absl::Status Reload() = 0;

  // pg_ctl promote, then waits until the server leaves recovery.
  virtual absl::Status Promote(absl::Duration timeout) = 0;

  // Points a standby at `upstream` (primary_conninfo, primary_slot_name); reloads, or restarts
  // when the running server needs it. A no-op when already so.
  virtual absl::Status Follow(const std::optional<Upstream>& upstream, absl::Duration timeout) = 0;

  // Whether this data directory diverged from `leader`'s timeline (pg_rewind or re-clone
  // needed). Connects to the leader over a replication connection.
  virtual absl::StatusOr<bool> NeedsRewind(const Upstream& leader) = 0;
  // A clean shutdown after a crash (single-user mode), then pg_rewind from `leader`.
  virtual absl::Status Rewind(const Upstream& leader) = 0;
  // Whether pg_rewind can run at all here (use_pg_rewind, checksums or wal_log_hints).
  virtual bool CanRewind() = 0;

  // Deletes the data directory (PostgreSQL must be stopped).
  virtual absl::Status RemoveDataDirectory() = 0;

  virtual absl::Status Checkpoint() = 0;
  // Creates the slots of `wanted` that are missing and drops those named in `drop` (a slot in
  // use is left: PostgreSQL refuses to drop it).
  virtual absl::Status SyncReplicationSlots(const std::vector<DesiredSlot>& wanted,
                                            const std::vector<std::string>& drop) = 0;
  // A replica's copy of the leader's logical slots `slots` (Patroni's copy_logical_slots): their
  // state files are read from the leader, PostgreSQL is stopped, the files are written to
  // pg_replslot and PostgreSQL is started again as a standby of `upstream`.
  virtual absl::Status CopyLogicalSlots(const Upstream& leader, const std::vector<DesiredSlot>& slots,
                                        const std::optional<Upstream>& upstream, absl::Duration timeout) = 0;
  virtual absl::Status SetSynchronousStandbyNames(const std::string& value) = 0;

  // Runs the configured callback for `action` in the background with Patroni's arguments
  // (<command> <action> <role> <scope>). A new callback kills a still-running previous one
  // (on_reload runs on its own). Never blocks.
  virtual void RunCallback(CallbackAction action, const std::string& role) = 0;
};

struct ControllerOptions {
  config::Config local;                 // the node's configuration
  config::EffectiveConfig effective;    // merged with the dynamic configuration
  ProcessRunner* runner = nullptr;      // not owned; PosixProcessRunner if null
  Clock* clock = nullptr;               // not owned; RealClock if null
};

// The real controller: libpq for observation and SQL, pg_ctl/initdb/pg_basebackup/pg_rewind
// through the ProcessRunner.
std::unique_ptr<PostgresController> MakePostgresController(ControllerOptions options);

}  // namespace pgha::pg

#endif  // PGHA_POSTGRES_CONTROLLER_H_
