#include "pgha/api/health.h"

#include <limits>

#include "absl/strings/match.h"
#include "pgha/base/lsn.h"

namespace pgha::api {

int HealthStatusCode(const std::string& raw_path, const QueryParams& query, const ha::NodeStatus& s) {
  std::string path = raw_path == "/" ? "/primary" : raw_path;
  const pg::Observation& o = s.pg;
  bool running = o.accepting && s.state == "running";
  std::string role = o.accepting ? (o.in_recovery ? "replica" : "primary") : s.role;
  const dcs::ClusterState* cluster = s.cluster.get();

  int64_t leader_optime = cluster != nullptr ? static_cast<int64_t>(cluster->LastLeaderOptime()) : 0;
  int64_t replayed = o.in_recovery ? static_cast<int64_t>(o.replay_lsn.value_or(0)) : 0;
  int64_t max_lag = std::numeric_limits<int64_t>::max();
  if (auto it = query.find("lag"); it != query.end()) {
    auto parsed = ParseByteSize(it->second);
    if (parsed.ok()) max_lag = *parsed;
  }
  bool lagging = leader_optime > 0 && max_lag != std::numeric_limits<int64_t>::max() &&
                 leader_optime > replayed + max_lag;
  bool noloadbalance = s.tags.is_object() && s.tags.contains("noloadbalance") &&
                       (s.tags["noloadbalance"] == true || s.tags["noloadbalance"] == "true");
  // ?replication_state=streaming (Patroni 4.2): only replicas in that state.
  bool state_mismatch = false;
  if (auto it = query.find("replication_state"); it != query.end()) {
    state_mismatch = o.replication_state != it->second;
  }
  int replica = !noloadbalance && !lagging && !state_mismatch && role == "replica" && running ? 200 : 503;

  int leader = 503, primary = 503, standby_leader = 503;
  if (s.holds_lock) {
    leader = 200;
    if (o.accepting && o.in_recovery) {  // a standby cluster's leader
      primary = replica = 503;
      standby_leader = 200;
    } else {
      primary = 200;
    }
  } else if (s.paused && cluster == nullptr) {
    leader = role == "primary" ? 200 : 503;
    primary = leader;
  }

  int code = 503;
  bool ignore_tags = false;
  if (absl::StrContains(path, "standby_leader") || absl::StrContains(path, "standby-leader")) {
    code = standby_leader;
    ignore_tags = true;
  } else if (absl::StrContains(path, "leader")) {
    code = leader;
    ignore_tags = true;
  } else if (absl::StrContains(path, "master") || absl::StrContains(path, "primary") ||
             absl::StrContains(path, "read-write")) {
    code = primary;
    ignore_tags = true;
  } else if (absl::StrContains(path, "replica")) {
    code = replica;
  } else if (absl::StrContains(path, "read-only") && !absl::StrContains(path, "sync") &&
             !absl::StrContains(path, "quorum")) {
    code = (primary == 200 || standby_leader == 200) ? 200 : replica;
  } else if (absl::StrContains(path, "health")) {
    code = running ? 200 : 503;
  } else if (cluster != nullptr) {
    bool sync = s.sync_standby;
    bool quorum = s.quorum_standby;
    if ((path == "/sync" || path == "/synchronous") && sync) {
      code = replica;
    } else if (path == "/quorum" && quorum) {
      code = replica;
    } else if ((path == "/async" || path == "/asynchronous") && !sync && !quorum) {
      code = replica;
    } else if (path == "/read-only-quorum") {
      if (primary == 200 || standby_leader == 200) {
        code = 200;
      } else if (quorum) {
        code = replica;
      }
    } else if (path == "/read-only-sync" || path == "/read-only-synchronous") {
      if (primary == 200 || standby_leader == 200) {
        code = 200;
      } else if (sync) {
        code = replica;
      }
    }
  }
  if (!ignore_tags && code == 200) {
    for (const auto& [key, value] : query) {
      if (!absl::StartsWith(key, "tag_")) continue;
      std::string tag = key.substr(4);
      if (!s.tags.is_object() || !s.tags.contains(tag)) return 503;
      const Json& v = s.tags[tag];
      if (dcs::TagText(v) != value) return 503;
    }
  }
  return code;
}

int LivenessStatusCode(const ha::NodeStatus& s, absl::Time now, absl::Duration ttl) {
  if (s.paused) return 200;
  if (!s.loop_last_run) return 503;
  bool primary = s.pg.accepting && !s.pg.in_recovery;
  return now - *s.loop_last_run < ttl * (primary ? 1 : 2) ? 200 : 503;
}

int ReadinessStatusCode(const ha::NodeStatus& s) {
  if (s.holds_lock) return 200;
  if (s.pg.accepting) return s.dcs_ok ? 200 : 503;
  return 503;
}

}  // namespace pgha::api
