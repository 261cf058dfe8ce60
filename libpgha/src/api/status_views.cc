#include "pgha/api/status_views.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "pgha/base/pycompat_time.h"
#include "pgha/base/version.h"
#include "pgha/dcs/codec.h"

namespace pgha::api {
namespace {

// str(datetime), as Patroni's json.dumps(default=str) writes it.
std::string PyTimestamp(absl::Time t) { return py::IsoFormat(t, absl::UTCTimeZone(), ' '); }

}  // namespace

Json PatroniStatus(const ha::NodeStatus& s) {
  Json r = Json::object();
  const pg::Observation& o = s.pg;
  if (o.accepting) {
    r["state"] = s.state;
    if (o.postmaster_start_time) r["postmaster_start_time"] = PyTimestamp(*o.postmaster_start_time);
    r["role"] = o.in_recovery ? "replica" : PatroniRoleWord("primary");
    if (o.in_recovery && s.holds_lock) r["role"] = "standby_leader";
    r["server_version"] = o.server_version;
    if (o.in_recovery) {
      Json xlog = Json::object();
      xlog["received_location"] = o.receive_lsn ? Json(*o.receive_lsn) : Json(o.replay_lsn.value_or(0));
      xlog["replayed_location"] = o.replay_lsn.value_or(0);
      xlog["replayed_timestamp"] = o.replay_timestamp ? Json(PyTimestamp(*o.replay_timestamp)) : Json(nullptr);
      xlog["paused"] = o.replay_paused;
      r["xlog"] = xlog;
      if (s.sync_standby) r["sync_standby"] = true;
      if (s.quorum_standby) r["quorum_standby"] = true;
    } else {
      r["xlog"] = {{"location", o.current_lsn.value_or(0)}};
    }
    if (o.timeline) r["timeline"] = *o.timeline;
    if (!o.replication.empty()) {
      Json rows = Json::array();
      for (const auto& row : o.replication) {
        rows.push_back({{"usename", row.usename},
                        {"application_name", row.application_name},
                        {"client_addr", row.client_addr},
                        {"state", row.state},
                        {"sync_state", row.sync_state},
                        {"sync_priority", row.sync_priority}});
      }
      r["replication"] = rows;
    }
  } else {
    r["state"] = s.state;
    r["role"] = PatroniRoleWord(s.role);
  }
  if (!s.cluster || !s.cluster->leader) r["cluster_unlocked"] = true;
  if (s.failsafe_active) r["failsafe_mode_is_active"] = true;
  if (s.dcs_last_seen) r["dcs_last_seen"] = absl::ToUnixSeconds(*s.dcs_last_seen);
  if (s.tags.is_object() && !s.tags.empty()) r["tags"] = s.tags;
  if (s.pg.system_identifier) r["database_system_identifier"] = std::to_string(*s.pg.system_identifier);
  if (s.pg.pending_restart) r["pending_restart"] = true;
  r["patroni"] = {{"version", kPatroniCompatVersion}, {"scope", s.scope}};
  if (s.scheduled_restart) r["scheduled_restart"] = *s.scheduled_restart;
  if (s.watchdog_failed) r["watchdog_failed"] = true;
  if (s.paused) r["pause"] = true;
  return r;
}

ha::NodeStatus WithLivePositions(ha::NodeStatus s, const pg::Observation& live) {
  pg::Observation& o = s.pg;
  // The state (running, starting, ...) is the loop's: a server it has not yet seen running is
  // reported as the loop saw it, positions only refresh what it published.
  if (!o.accepting) return s;
  if (!live.accepting) {
    o.accepting = false;
    return s;
  }
  o.in_recovery = live.in_recovery;
  o.current_lsn = live.current_lsn;
  o.receive_lsn = live.receive_lsn;
  o.replay_lsn = live.replay_lsn;
  o.replay_timestamp = live.replay_timestamp;
  o.replay_paused = live.replay_paused;
  o.timeline = live.timeline;
  o.replication_state = live.replication_state;
  o.postmaster_start_time = live.postmaster_start_time;
  o.server_version = live.server_version;
  o.replication = live.replication;
  return s;
}

Json ClusterView(const dcs::ClusterState& c) {
  Json members = Json::array();
  bool standby_cluster = c.IsStandbyCluster();
  for (const auto& m : c.members) {
    Json j = Json::object();
    j["name"] = m.name;
    if (c.IsLeader(m.name)) {
      j["role"] = standby_cluster ? "standby_leader" : "leader";
    } else if (c.sync && c.sync->Contains(m.name)) {
      j["role"] = c.IsQuorumCommitMode() ? "quorum_standby" : "sync_standby";
    } else {
      j["role"] = "replica";
    }
    j["state"] = m.state;
    j["api_url"] = m.api_url;
    std::string host = m.Host();
    if (!host.empty()) {
      j["host"] = host;
      if (m.Port() != 0) j["port"] = m.Port();
    }
    if (m.timeline) j["timeline"] = *m.timeline;
    if (m.pending_restart) j["pending_restart"] = true;
    if (!m.scheduled_restart.is_null()) j["scheduled_restart"] = m.scheduled_restart;
    if (m.tags.is_object() && !m.tags.empty()) j["tags"] = m.tags;
    if (!c.IsLeader(m.name)) {
      auto lag = c.MemberLag(m);
      j["lag"] = lag ? Json(*lag) : Json("unknown");
    }
    members.push_back(std::move(j));
  }
  Json out = {{"members", members}};
  if (c.IsPaused()) out["pause"] = true;
  if (const dcs::FailoverRequest* f = c.PendingFailover(); f != nullptr && f->scheduled_at) {
    Json sw = {{"at", f->scheduled_at_text.empty() ? dcs::FormatTimestamp(*f->scheduled_at) : f->scheduled_at_text}};
    if (!f->leader.empty()) sw["from"] = f->leader;
    if (!f->candidate.empty()) sw["to"] = f->candidate;
    out["scheduled_switchover"] = sw;
  }
  return out;
}

Json HistoryView(const dcs::ClusterState& c) {
  Json out = Json::array();
  if (!c.history) return out;
  for (const auto& e : c.history->entries) {
    Json line = Json::array({e.timeline, e.lsn, e.reason});
    if (!e.timestamp.empty() || !e.new_leader.empty()) line.push_back(e.timestamp);
    if (!e.new_leader.empty()) line.push_back(e.new_leader);
    out.push_back(line);
  }
  return out;
}

std::string MetricsText(const ha::NodeStatus& s) {
  std::string out;
  std::string label = absl::StrCat("{scope=\"", s.scope, "\"}");
  auto metric = [&](const char* name, const char* type, const char* help, const std::string& value) {
    absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n", name, label, " ",
                    value, "\n");
  };
  const pg::Observation& o = s.pg;
  bool primary = o.accepting && !o.in_recovery;
  bool replica = o.accepting && o.in_recovery;
  std::string padded;
  for (absl::string_view part : absl::StrSplit(kPatroniCompatVersion, '.')) {
    absl::StrAppend(&padded, part.size() < 2 ? "0" : "", part);
  }
  metric("patroni_version", "gauge", "Patroni semver without periods.", padded);
  metric("patroni_postgres_running", "gauge", "Value is 1 if Postgres is running, 0 otherwise.",
         o.accepting ? "1" : "0");
  metric("patroni_postmaster_start_time", "gauge", "Epoch seconds since Postgres started.",
         o.postmaster_start_time ? absl::StrFormat("%.6f", absl::ToDoubleSeconds(*o.postmaster_start_time - absl::UnixEpoch()))
                                 : "0");
  // patroni_master: the name Patroni 3 dashboards use (Patroni 4 dropped it).
  metric("patroni_master", "gauge", "Value is 1 if this node is the leader, 0 otherwise.", primary ? "1" : "0");
  metric("patroni_primary", "gauge", "Value is 1 if this node is the leader, 0 otherwise.", primary ? "1" : "0");
  metric("patroni_xlog_location", "counter",
         "Current location of the Postgres transaction log, 0 if this node is not the leader.",
         std::to_string(primary ? o.current_lsn.value_or(0) : 0));
  metric("patroni_standby_leader", "gauge", "Value is 1 if this node is the standby_leader, 0 otherwise.",
         replica && s.holds_lock ? "1" : "0");
  metric("patroni_replica", "gauge", "Value is 1 if this node is a replica, 0 otherwise.", replica ? "1" : "0");
  metric("patroni_sync_standby", "gauge", "Value is 1 if this node is a sync standby replica, 0 otherwise.",
         s.sync_standby ? "1" : "0");
  if (s.cluster && s.cluster->IsQuorumCommitMode()) {
    // Patroni 4's; left out otherwise so that Patroni 3 dashboards see the lines they know.
    metric("patroni_quorum_standby", "gauge", "Value is 1 if this node is a quorum standby, 0 otherwise.",
           s.quorum_standby ? "1" : "0");
  }
  metric("patroni_xlog_received_location", "counter",
         "Current location of the received Postgres transaction log, 0 if this node is not a replica.",
         std::to_string(replica ? o.receive_lsn.value_or(0) : 0));
  metric("patroni_xlog_replayed_location", "counter",
         "Current location of the replayed Postgres transaction log, 0 if this node is not a replica.",
         std::to_string(replica ? o.replay_lsn.value_or(0) : 0));
  metric("patroni_xlog_replayed_timestamp", "gauge",
         "Current timestamp of the replayed Postgres transaction log, 0 if null.",
         replica && o.replay_timestamp ? absl::StrFormat("%.6f", absl::ToDoubleSeconds(*o.replay_timestamp - absl::UnixEpoch()))
                                       : "0");
  metric("patroni_xlog_paused", "gauge", "Value is 1 if the Postgres xlog is paused, 0 otherwise.",
         o.replay_paused ? "1" : "0");
  metric("patroni_postgres_streaming", "gauge", "Value is 1 if Postgres is streaming, 0 otherwise.",
         o.replication_state == "streaming" ? "1" : "0");
  metric("patroni_postgres_in_archive_recovery", "gauge",
         "Value is 1 if Postgres is replicating from archive, 0 otherwise.",
         o.replication_state == "in archive recovery" ? "1" : "0");
  metric("patroni_postgres_server_version", "gauge", "Version of Postgres (if running), 0 otherwise.",
         std::to_string(o.accepting ? o.server_version : 0));
  metric("patroni_cluster_unlocked", "gauge", "Value is 1 if the cluster is unlocked, 0 if locked.",
         !s.cluster || !s.cluster->leader ? "1" : "0");
  metric("patroni_failsafe_mode_is_active", "gauge", "Value is 1 if failsafe mode is active, 0 if inactive.",
         s.failsafe_active ? "1" : "0");
  metric("patroni_postgres_timeline", "counter", "Postgres timeline of this node (if running), 0 otherwise.",
         std::to_string(o.accepting ? o.timeline.value_or(0) : 0));
  metric("patroni_dcs_last_seen", "gauge", "Epoch timestamp when DCS was last contacted successfully by Patroni.",
         std::to_string(s.dcs_last_seen ? absl::ToUnixSeconds(*s.dcs_last_seen) : 0));
  metric("patroni_pending_restart", "gauge", "Value is 1 if the node needs a restart, 0 otherwise.",
         o.pending_restart ? "1" : "0");
  metric("patroni_is_paused", "gauge", "Value is 1 if auto failover is disabled, 0 otherwise.",
         s.paused ? "1" : "0");
  return out;
}

}  // namespace pgha::api
