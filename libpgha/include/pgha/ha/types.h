// The HA engine's vocabulary: what Decide() reads (cluster state, local state, settings, peer
// answers) and what it returns (typed actions, a reason, and memory for the next cycle).
// Thread-safety: plain values.
#ifndef PGHA_HA_TYPES_H_
#define PGHA_HA_TYPES_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "pgha/base/json.h"
#include "pgha/config/dynamic_config.h"
#include "pgha/dcs/cluster_state.h"
#include "pgha/postgres/types.h"

namespace pgha::ha {

enum class WatchdogMode { kOff, kAutomatic, kRequired };

// Settings Decide needs, from the local and dynamic configuration.
struct HaConfig {
  std::string name;
  absl::Duration ttl = absl::Seconds(30);
  absl::Duration loop_wait = absl::Seconds(10);
  absl::Duration retry_timeout = absl::Seconds(10);
  int64_t maximum_lag_on_failover = 1048576;
  // A synchronous standby lagging more than this many bytes is replaced by a healthy one
  // (Patroni's maximum_lag_on_syncnode); 0 or below: never.
  int64_t maximum_lag_on_syncnode = -1;
  // How many entries the history key keeps (the newest); 0: all.
  int max_timelines_history = 0;
  // How long the primary keeps the slot of a member that went away (Patroni 4's
  // member_slots_ttl); zero: dropped at once, as Patroni 3.
  absl::Duration member_slots_ttl = absl::ZeroDuration();
  absl::Duration primary_start_timeout = absl::Seconds(300);
  // In synchronous mode, a primary's stop still running after this is aborted (immediate, then
  // SIGKILL); zero: never (Patroni's primary_stop_timeout).
  absl::Duration primary_stop_timeout = absl::ZeroDuration();
  config::SyncMode synchronous_mode = config::SyncMode::kOff;
  bool synchronous_mode_strict = false;
  int synchronous_node_count = 1;
  bool check_timeline = false;
  // A standby cluster (standby_cluster in the dynamic configuration): the lock holder is the
  // standby leader, replicating from this remote; nobody promotes.
  std::optional<config::StandbyClusterConfig> standby_cluster;
  bool failsafe_mode = false;
  bool use_slots = true;
  bool use_pg_rewind = false;
  bool remove_data_directory_on_rewind_failure = false;
  bool remove_data_directory_on_diverged_timelines = false;
  std::vector<config::SlotConfig> permanent_slots;
  // ignore_slots: slots pgha neither creates nor drops (pg_receivewal's, Barman's); each entry
  // matches on the attributes it names (name, type, database, plugin), as in Patroni.
  Json ignore_slots = Json::array();
  bool bootstrap_configured = false;  // a `bootstrap` section exists
  // A create_replica_methods entry needs no leader (no_leader: a restore from a backup tool).
  bool replica_without_leader = false;
  Json bootstrap_dcs = Json::object();  // written to `config` by the bootstrap winner
  // This node's tags.
  bool nofailover = false;
  int failover_priority = 1;
  bool nosync = false;
  bool nostream = false;  // replicates from the WAL archive only (restore_command)
  std::string replicatefrom;
  bool clonefrom = false;
  WatchdogMode watchdog = WatchdogMode::kAutomatic;
  // watchdog.safety_margin: the device's timeout is ttl minus this (Patroni's rule).
  absl::Duration watchdog_safety_margin = absl::Seconds(5);
};

// What a peer's REST API (GET /patroni) said, for the leader race.
struct PeerStatus {
  std::string name;
  bool reachable = false;
  bool in_recovery = true;
  std::optional<Lsn> wal_position;  // max(received, replayed) on replicas; current on primary
  std::optional<int> timeline;
  bool nofailover = false;
  int failover_priority = 1;
  bool watchdog_failed = false;
};

// Work that runs on the worker thread and spans cycles.
enum class TaskKind {
  kNone,
  kBootstrap,
  kCreateReplica,
  kRejoin,          // check divergence, rewind or re-clone as allowed, start as a replica
  kStartPrimary,    // restart a crashed primary
  kGracefulDemote,  // switchover: checkpoint, stop, hand the lock to the candidate
  kRestart,
  kReinitialize,
  kCopySlots,       // a replica copies permanent logical slots from the leader (restarts it)
};
const char* TaskKindName(TaskKind kind);

struct TaskState {
  TaskKind kind = TaskKind::kNone;
  bool running = false;
  bool finished = false;   // finished since the last cycle looked
  bool succeeded = false;
  std::string error;
};

// Facts the daemon remembers between cycles; Decide returns the next value.
struct Memory {
  bool bootstrapping = false;       // we won the initialize race and run initdb
  std::string last_leader;          // the leader we last rejoined successfully (divergence checks)
  bool rejoin_needed = false;       // we were primary or a rejoin failed: check divergence
  std::string rejoin_target;        // the leader of the rejoin task in flight
  std::optional<absl::Time> crash_restart_since;  // when we began restarting a crashed primary
  // A logical slot copy that could not be done (the slot's WAL is older than ours, the leader
  // did not answer) is tried again only after this: each try asks the leader.
  std::optional<absl::Time> slot_copy_not_before;
  // member_slots_ttl on the primary: each member slot and when its member was last seen with it.
  // Seeded from /status retain_slots once per timeline, i.e. when this node became primary.
  std::map<std::string, absl::Time> member_slot_seen;
  int member_slot_seen_timeline = 0;
  // Quorum commit on the primary: synchronous_standby_names as last seen, the primary's WAL
  // position when it was seen to change, and the standbys it lists that reached that position
  // since (so they hold every commit acknowledged before they were listed; Patroni's "ready").
  std::optional<std::string> standby_names_seen;
  Lsn standby_names_changed_at = 0;
  std::set<std::string> caught_up_standbys;
};

// A restart or reinitialization asked for through the REST API (or a scheduled restart that
// came due), for Decide to start or refuse.
struct ManualCommand {
  enum class Kind { kRestart, kReinitialize } kind = Kind::kRestart;
};

struct LocalState {
  pg::Observation pg;
  bool dcs_ok = true;                // this cycle's DCS read succeeded
  absl::Time now;                    // monotonic
  absl::Time wall_now;               // wall clock (scheduled switchovers)
  TaskState task;
  std::vector<PeerStatus> peers;     // filled when the cluster has no leader or a failover is pending
  bool watchdog_usable = true;
  std::optional<ManualCommand> command;
  // Failsafe mode (the loop's I/O, for Decide): every other member listed in `failsafe`
  // accepted our POST /failsafe this cycle; and a primary's POST /failsafe reached us within ttl.
  bool failsafe_confirmed = false;
  absl::Time failsafe_asked_at;      // monotonic: when the confirmations were requested
  bool failsafe_heartbeat_recent = false;
  // When we last refreshed (or took) the leader lock successfully: the lock is ours until then
  // + ttl, as far as we can know without the DCS.
  std::optional<absl::Time> lock_refreshed_at;
  // This cycle renewed the DCS session (keep-alive answered) after this moment (monotonic): the
  // session, and the lock bound to it, lives at least until then + ttl.
  std::optional<absl::Time> session_renewed_at;
  bool write_guard_armed = false;    // the write guard enforces a deadline now
  Memory memory;
};

// ---- actions -------------------------------------------------------------------------------

struct AcquireLock {};
// Keeps the lock. When it fails, PostgreSQL is stopped at once in the mode Decide chose (none:
// left alone), because then the lock cannot be proven ours: `stop_if_lost` when the DCS said it
// is not ours any more, `stop_if_unreachable` when the DCS did not answer (the lease may still
// hold for a while; the write guard enforces its end in any case).
struct RefreshLock {
  dcs::Leader as_read;
  std::optional<pg::StopMode> stop_if_lost;
  std::optional<pg::StopMode> stop_if_unreachable;
};
struct ReleaseLock {
  dcs::Leader as_read;
  std::optional<Lsn> last_lsn;  // written to `status` first so replicas can judge their lag
};
struct CreateInitialize {};
struct SetInitialize {
  std::string sysid;
  dcs::Version expected;
};
struct CancelInitialize {
  dcs::Version expected;
};
struct WriteConfig {
  Json config;
  dcs::Version expected;
};
struct ClearFailover {
  dcs::Version expected;
};
struct WriteSync {
  dcs::SyncState sync;
  dcs::Version expected;
};
struct DeleteSync {
  dcs::Version expected;
};
struct WriteHistory {
  std::vector<dcs::HistoryEntry> history;
  dcs::Version expected;
};
struct WriteStatus {
  dcs::ClusterStatus status;
  dcs::Version expected;
};
struct WriteFailsafe {
  std::map<std::string, std::string> members;  // name -> api_url
  dcs::Version expected;
};
struct StartTask {  // bootstrap, clone, rejoin, ... on the worker
  TaskKind kind = TaskKind::kNone;
  std::optional<pg::Upstream> upstream;  // leader or clone source or switchover candidate
  std::string candidate;                 // kGracefulDemote: who takes over
  bool remove_data = false;              // kRejoin: allowed to re-clone a diverged node
  // kGracefulDemote while paused: start again as a replica of the candidate (nobody else would
  // restart it, and the operator asked for a switchover, not for a stopped node).
  bool follow_after = false;
  std::vector<pg::DesiredSlot> slots;  // kCopySlots: the logical slots to copy
  std::optional<pg::Upstream> copy_from;  // kCopySlots: the leader, which has them
};
struct Promote {};
struct Demote {  // stop now (immediate); the next cycles bring it back as a replica
  pg::StopMode mode = pg::StopMode::kImmediate;
};
struct Follow {
  std::optional<pg::Upstream> upstream;
};
struct SetSyncStandbyNames {
  std::string value;
};
// Creates the missing ones of `slots`, drops exactly `drop` (Decide chose them: physical,
// inactive, not wanted, not ignored, never while paused).
struct SyncSlots {
  std::vector<pg::DesiredSlot> slots;
  std::vector<std::string> drop;
};
// Arms the write guard (and the fencer, and the watchdog device) with the write deadline that
// the lock refresh or acquisition just before it bought (write_deadline.h), or, in failsafe
// mode, that every member's confirmation at `failsafe_since` bought. Never runs when that
// refresh failed: the executor stops at the first failure.
struct ArmWriteGuard {
  std::optional<absl::Time> failsafe_since;  // monotonic
};
// This node is no longer a primary that may write: nothing to enforce (disables the watchdog).
struct DisarmWriteGuard {};
struct Exit {  // a condition pgha must not run under (a foreign system identifier)
  std::string reason;
};

using Action = std::variant<AcquireLock, RefreshLock, ReleaseLock, CreateInitialize, SetInitialize,
                            CancelInitialize, WriteConfig, ClearFailover, WriteSync, DeleteSync,
                            WriteHistory, WriteStatus, WriteFailsafe, StartTask, Promote, Demote, Follow,
                            SetSyncStandbyNames, SyncSlots, ArmWriteGuard,
                            DisarmWriteGuard, Exit>;

// A readable one-line description of an action (logs and test failure messages).
std::string Describe(const Action& action);

struct Decision {
  std::vector<Action> actions;
  std::string message;  // Patroni's one-line cycle summary
  Memory memory;
  // Why LocalState::command was refused (its REST answer); unset when it was started or when
  // another rule decided the cycle first.
  std::optional<std::string> command_refused;
  // Run the next cycle after this rather than after loop_wait: a change made in steps (quorum
  // commit) continues as soon as the previous step can be observed.
  std::optional<absl::Duration> next_cycle_within;
};

}  // namespace pgha::ha

#endif  // PGHA_HA_TYPES_H_
