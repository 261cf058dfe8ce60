// Plain values describing a PostgreSQL instance, shared by the controller, the HA engine, the
// REST API and test doubles. Thread-safety: plain values.
#ifndef PGHA_POSTGRES_TYPES_H_
#define PGHA_POSTGRES_TYPES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "pgha/base/json.h"
#include "pgha/base/lsn.h"

namespace pgha::pg {

// kKill: SIGKILL to a primary's postmaster and its children, for a stop that did not finish
// (Patroni's primary_stop_timeout); a standby is never killed.
enum class StopMode { kSmart, kFast, kImmediate, kKill };
const char* StopModeName(StopMode mode);  // "smart", "fast", "immediate" (pg_ctl -m), "kill"

// What pg_controldata says about a data directory (readable while PostgreSQL is down).
struct ControlData {
  std::string cluster_state;  // "in production", "shut down", "shut down in recovery", ...
  uint64_t system_identifier = 0;
  int timeline = 0;            // Latest checkpoint's TimeLineID
  Lsn checkpoint_lsn = 0;      // Latest checkpoint location
  Lsn redo_lsn = 0;            // Latest checkpoint's REDO location
  Lsn min_recovery_end_lsn = 0;
  int min_recovery_end_timeline = 0;
  bool data_checksums = false;
  bool wal_log_hints = false;
  std::map<std::string, std::string> raw;
  bool CleanlyShutDown() const {
    return cluster_state == "shut down" || cluster_state == "shut down in recovery";
  }
  bool WasPrimary() const;  // in production / shutting down / shut down / in crash recovery
};

// One row of pg_stat_replication.
struct ReplicationRow {
  std::string application_name;
  std::string usename;
  std::string client_addr;
  std::string state;       // streaming, catchup, ...
  std::string sync_state;  // async, sync, potential, quorum
  int sync_priority = 0;
  std::optional<Lsn> write_lsn, flush_lsn, replay_lsn;
};

struct SlotInfo {
  std::string name;
  std::string type;  // physical | logical
  std::string plugin, database;
  bool active = false;
  std::optional<Lsn> restart_lsn;
  std::optional<Lsn> confirmed_flush_lsn;  // logical slots
};

enum class DataDirState { kMissing, kEmpty, kValid, kInvalid };

// One observation of the local instance. Fields that could not be read stay unset.
struct Observation {
  DataDirState data_dir = DataDirState::kMissing;
  bool postmaster_alive = false;  // postmaster.pid names a live process
  bool accepting = false;         // a query succeeded
  bool in_recovery = false;
  std::optional<uint64_t> system_identifier;
  std::optional<int> timeline;
  std::optional<Lsn> current_lsn;  // primary: pg_current_wal_flush_lsn()
  std::optional<Lsn> receive_lsn, replay_lsn;
  std::optional<absl::Time> replay_timestamp;
  bool replay_paused = false;
  std::string replication_state;    // "streaming", "in archive recovery", "" (Patroni 4 names)
  std::string upstream_host;        // from pg_stat_wal_receiver
  int upstream_port = 0;
  std::vector<ReplicationRow> replication;  // primary only
  std::vector<SlotInfo> slots;
  std::string synchronous_standby_names;
  bool pending_restart = false;
  Json pending_restart_reason = Json::object();
  int server_version = 0;  // 150004
  std::optional<absl::Time> postmaster_start_time;
  std::optional<ControlData> control;  // filled when PostgreSQL is not accepting connections
  // A primary on timeline > 1: the lines of pg_wal/<timeline>.history (parent timeline, switch
  // point, reason) and when the file was written (the promotion time).
  struct HistoryLine {
    int timeline = 0;
    Lsn lsn = 0;
    std::string reason;
  };
  std::vector<HistoryLine> timeline_history;
  std::optional<absl::Time> timeline_history_time;
  std::string error;                   // why the query part failed, if it did

  bool running() const { return accepting; }
  // WAL position used to compare candidates: primary current LSN, replica max(receive, replay).
  std::optional<Lsn> WalPosition() const;
};

// Whom a replica streams from.
struct Upstream {
  std::string name;  // member name (for logs)
  std::string host;
  int port = 5432;
  // A standby cluster's upstream (standby_cluster): the slot it keeps for this node (unset: the
  // member slot named after this node; "": none), the recovery settings that come with it
  // (restore_command, archive_cleanup_command, recovery_min_apply_delay), and the clone methods
  // to copy it with (empty: postgresql.create_replica_methods).
  std::optional<std::string> slot_name;
  std::map<std::string, std::string> recovery_settings;
  std::vector<std::string> create_replica_methods;

  bool operator==(const Upstream& o) const {
    return name == o.name && host == o.host && port == o.port && slot_name == o.slot_name &&
           recovery_settings == o.recovery_settings && create_replica_methods == o.create_replica_methods;
  }
  bool operator!=(const Upstream& o) const { return !(*this == o); }
};

// A physical or logical slot the primary (or a failover-capable replica) should have.
struct DesiredSlot {
  std::string name;
  std::string type = "physical";
  std::string plugin, database;
  // A replica's copy of a permanent logical slot: moved forward to the primary's position
  // (never past this replica's replay position), so that it is current after a failover.
  std::optional<Lsn> advance_to;
};

// Patroni's slot-name rule for member names: lower case, '-' and '.' become '_', other
// characters outside [a-z0-9_] become u<hex code>, at most 63 bytes.
std::string SlotNameForMember(const std::string& member_name);
// A name PostgreSQL takes for a replication slot: 1 to 63 of [a-z0-9_].
bool IsValidSlotName(const std::string& name);

}  // namespace pgha::pg

#endif  // PGHA_POSTGRES_TYPES_H_
