// What the HA loop publishes after each cycle for the REST API and pghactl, and the mailbox
// through which the REST API hands commands to the loop. Handlers read a snapshot; they never
// touch PostgreSQL or the DCS write path themselves, and the loop never waits for them.
//
// Thread-safety: all methods are safe from any thread.
#ifndef PGHA_HA_NODE_STATUS_H_
#define PGHA_HA_NODE_STATUS_H_

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "pgha/base/json.h"
#include "pgha/dcs/cluster_state.h"
#include "pgha/postgres/types.h"

namespace pgha::ha {

struct NodeStatus {
  std::string name;
  std::string scope;
  std::string state = "stopped";  // running, starting, stopped, crashed, creating replica, ...
  std::string role = "uninitialized";  // primary, replica, demoted, uninitialized
  bool holds_lock = false;
  pg::Observation pg;
  dcs::ClusterStatePtr cluster;  // last successfully read
  // When this status's cycle began reading the DCS (the loop's clock, Monotonic(); the daemon's
  // loop and REST server both use RealClock): `cluster` is that read when dcs_ok, the last
  // successful one otherwise. InfinitePast when no loop publishes (tests that publish by hand).
  absl::Time cluster_read_at = absl::InfinitePast();
  bool dcs_ok = false;
  std::optional<absl::Time> dcs_last_seen;
  std::optional<absl::Time> loop_last_run;  // wall clock of the last finished cycle
  bool paused = false;
  Json tags = Json::object();
  bool watchdog_failed = false;
  std::string last_message;
  std::string conn_url;
  std::string api_url;
  std::optional<Json> scheduled_restart;
  bool sync_standby = false;    // listed in /sync (synchronous_mode on)
  bool quorum_standby = false;  // a voter in /sync (synchronous_mode quorum)
  bool failsafe_mode = false;    // the dynamic configuration enables it
  bool failsafe_active = false;  // a primary running on failsafe confirmations (DCS unreachable)
};

// A command for the loop (restart, reinitialize, reload), with a channel for its result.
struct Command {
  enum class Kind {
    kRestart,           // restart PostgreSQL now (a task; the result comes when it finished)
    kScheduleRestart,   // remember a restart for `schedule`
    kCancelRestart,     // forget a scheduled restart
    kReinitialize,      // wipe and re-clone (replicas only)
    kReload,            // re-read the local configuration
    kSwitchover,        // write the `failover` key (payload: leader, candidate, scheduled_at)
    kCancelSwitchover,  // clear a scheduled switchover
    kPatchConfig,       // merge `payload` into the dynamic configuration (compare-and-set)
    kPutConfig,         // replace the dynamic configuration with `payload`
  };
  Kind kind = Kind::kRestart;
  Json payload = Json::object();
  bool force = false;
  std::optional<absl::Time> schedule;
  std::string role_filter;           // restart only when our role matches
  bool only_if_pending = false;      // restart only with pending_restart
  std::string postgres_version;      // restart only when the running version is lower
  absl::Duration timeout = absl::ZeroDuration();
};

struct CommandResult {
  bool done = false;
  bool ok = false;
  int http_status = 200;
  std::string message;
  Json body;  // a JSON answer (PATCH/PUT /config), null otherwise
};

class StatusBoard {
 public:
  void Publish(NodeStatus status);
  std::shared_ptr<const NodeStatus> Current() const;

  // Queues a command and returns a ticket to wait on.
  int Submit(Command command);
  // The loop takes the next command, and reports its result.
  std::optional<std::pair<int, Command>> TakeCommand();
  void Complete(int ticket, CommandResult result);
  // Waits up to `timeout` for the result of `ticket` (not done when closed meanwhile).
  CommandResult Await(int ticket, absl::Duration timeout);
  // The loop has ended: every waiting and later Await returns at once, not done, so that the
  // REST server can stop without waiting out a client's restart.
  void Close();
  bool Closed() const;
  // Wakes the loop early (new command, config changed through the API).
  void Wake();
  // The loop waits here between cycles (returns early on Wake()).
  void WaitForWake(absl::Duration timeout);
  // True (once) when Wake() or Submit() happened since the last call.
  bool ConsumeWake();
  // Failsafe mode: a primary's POST /failsafe arrived (monotonic time), and when the last did.
  void NoteFailsafeHeartbeat(absl::Time at);
  std::optional<absl::Time> LastFailsafeHeartbeat() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<const NodeStatus> status_ = std::make_shared<NodeStatus>();
  std::deque<std::pair<int, Command>> commands_;
  std::map<int, CommandResult> results_;
  int next_ticket_ = 1;
  bool woken_ = false;
  bool closed_ = false;
  std::optional<absl::Time> failsafe_heartbeat_;
};

}  // namespace pgha::ha

#endif  // PGHA_HA_NODE_STATUS_H_
