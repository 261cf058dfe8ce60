// Builders for Decide() table tests: cluster states, local observations, peers, settings, and
// a table runner comparing the action names. Shared by the decide_*_test.cc files.
#ifndef PGHA_TESTS_UNIT_HA_DECIDE_BUILDERS_H_
#define PGHA_TESTS_UNIT_HA_DECIDE_BUILDERS_H_

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "pgha/ha/decide.h"

namespace pgha::ha::decide_testing {

// ---- builders ------------------------------------------------------------------------------

inline dcs::Member M(const std::string& name, const std::string& role, Lsn xlog = 100,
              Json tags = Json::object()) {
  dcs::Member m;
  m.name = name;
  m.role = role;
  m.state = "running";
  m.conn_url = "postgres://127.0.0.1:5432/postgres";
  m.api_url = "http://127.0.0.1:8008/patroni";
  m.xlog_location = xlog;
  m.tags = std::move(tags);
  m.version = 7;
  return m;
}

struct ClusterBuilder {
  dcs::ClusterState c;
  ClusterBuilder() {
    c.scope = "t";
    c.initialize = "7710826820256107124";
    c.initialize_version = 1;
    c.config = dcs::ClusterConfig{Json::object(), 2};
  }
  ClusterBuilder& Leader(const std::string& name) {
    c.leader = dcs::Leader{name, 10, "s"};
    return *this;
  }
  ClusterBuilder& Member(dcs::Member m) {
    c.members.push_back(std::move(m));
    return *this;
  }
  ClusterBuilder& NoInitialize() {
    c.initialize.reset();
    return *this;
  }
  ClusterBuilder& Optime(Lsn l) {
    c.status.optime = l;
    c.status.version = 5;
    return *this;
  }
  ClusterBuilder& Paused() {
    c.config->data["pause"] = true;
    return *this;
  }
  ClusterBuilder& Sync(const std::string& leader, std::vector<std::string> standbys) {
    c.sync = dcs::SyncState{leader, std::move(standbys), std::nullopt, 8};
    c.config->data["synchronous_mode"] = true;
    return *this;
  }
  ClusterBuilder& Quorum(const std::string& leader, std::vector<std::string> voters, int quorum) {
    c.sync = dcs::SyncState{leader, std::move(voters), quorum, 8};
    c.config->data["synchronous_mode"] = "quorum";
    return *this;
  }
  ClusterBuilder& Failover(const std::string& leader, const std::string& candidate) {
    dcs::FailoverRequest f;
    f.leader = leader;
    f.candidate = candidate;
    f.version = 9;
    c.failover = f;
    return *this;
  }
};

inline pg::Observation Replica(Lsn pos = 100) {
  pg::Observation o;
  o.data_dir = pg::DataDirState::kValid;
  o.postmaster_alive = true;
  o.accepting = true;
  o.in_recovery = true;
  o.system_identifier = 7710826820256107124;
  o.timeline = 1;
  o.receive_lsn = pos;
  o.replay_lsn = pos;
  return o;
}

inline pg::Observation Primary(Lsn pos = 100) {
  pg::Observation o = Replica(pos);
  o.in_recovery = false;
  o.current_lsn = pos;
  return o;
}

inline pg::Observation Stopped(bool was_primary = false) {
  pg::Observation o;
  o.data_dir = pg::DataDirState::kValid;
  o.system_identifier = 7710826820256107124;
  o.control = pg::ControlData{};
  o.control->cluster_state = was_primary ? "shut down" : "shut down in recovery";
  return o;
}

inline pg::Observation Empty() {
  pg::Observation o;
  o.data_dir = pg::DataDirState::kEmpty;
  return o;
}

inline PeerStatus Peer(const std::string& name, Lsn pos, bool in_recovery = true, int priority = 1) {
  PeerStatus p;
  p.name = name;
  p.reachable = true;
  p.in_recovery = in_recovery;
  p.wal_position = pos;
  p.failover_priority = priority;
  return p;
}

inline HaConfig Config(const std::string& name = "a") {
  HaConfig c;
  c.name = name;
  c.bootstrap_configured = true;
  c.use_slots = false;
  return c;
}

inline LocalState Local(pg::Observation o) {
  LocalState l;
  l.pg = std::move(o);
  l.now = absl::UnixEpoch() + absl::Hours(1);
  l.wall_now = absl::FromUnixSeconds(1800000000);
  l.memory.last_leader = "";
  return l;
}

inline std::string Actions(const Decision& d) {
  std::vector<std::string> names;
  for (const auto& a : d.actions) {
    std::string s = Describe(a);
    names.push_back(s.substr(0, s.find('(')));
  }
  return absl::StrJoin(names, " ");
}

struct Row {
  const char* name;
  dcs::ClusterState cluster;
  LocalState local;
  HaConfig config;
  const char* expected;  // action names, space separated
};

inline void RunTable(const std::vector<Row>& rows) {
  for (const auto& row : rows) {
    Decision d = Decide(row.cluster, row.local, row.config);
    INFO(row.name << " -> [" << Actions(d) << "] " << d.message);
    CHECK(Actions(d) == row.expected);
  }
}

}  // namespace pgha::ha::decide_testing

#endif  // PGHA_TESTS_UNIT_HA_DECIDE_BUILDERS_H_
