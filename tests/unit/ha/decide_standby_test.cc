// Decide() in a standby cluster (standby_cluster in the dynamic configuration) as tables: the
// standby leader follows the remote primary and never promotes, the race's winner becomes the
// standby leader, members cascade from it with the standby cluster's archive settings.
#include <catch2/catch.hpp>

#include "decide_builders.h"

namespace pgha::ha {
namespace {

using namespace decide_testing;  // NOLINT: the builders are this file's vocabulary

HaConfig StandbyConfig(const std::string& name) {
  HaConfig c = Config(name);
  config::StandbyClusterConfig s;
  s.host = "10.0.0.9";
  s.port = 5433;
  s.primary_slot_name = "dr_slot";
  s.restore_command = "cp /archive/%f %p";
  s.recovery_min_apply_delay = "5min";
  c.standby_cluster = s;
  return c;
}

template <typename T>
const T& Only(const Decision& d) {
  for (const auto& a : d.actions) {
    if (const T* t = std::get_if<T>(&a)) return *t;
  }
  FAIL("no such action in " << Actions(d));
  static T none;
  return none;
}

TEST_CASE("standby cluster: the standby leader follows the remote primary and never promotes") {
  auto led = ClusterBuilder().Leader("a").Member(M("a", "standby_leader")).Member(M("b", "replica")).Optime(100).c;
  auto unled = ClusterBuilder().Member(M("a", "replica")).Member(M("b", "replica")).c;
  LocalState standby = Local(Replica(200));
  LocalState primary = Local(Primary(200));
  LocalState down = Local(Stopped(true));
  LocalState winner = Local(Replica(200));
  winner.peers = {Peer("b", 100)};
  RunTable({
      {"the standby leader follows the remote and publishes its position", led, standby, StandbyConfig("a"),
       "RefreshLock Follow WriteStatus"},
      {"a primary holding the lock stops cleanly (demote-cluster)", led, primary, StandbyConfig("a"),
       "RefreshLock ArmWriteGuard Demote"},
      {"it comes back as a standby of the remote, checked for divergence", led, down, StandbyConfig("a"),
       "RefreshLock StartTask"},
      {"the race's winner becomes the standby leader", unled, winner, StandbyConfig("a"), "AcquireLock Follow"},
      {"without standby_cluster the same node promotes", led, standby, Config("a"),
       "RefreshLock ArmWriteGuard Promote"},
  });
  Decision follow = Decide(led, standby, StandbyConfig("a"));
  const auto& remote = *Only<Follow>(follow).upstream;
  CHECK(remote.host == "10.0.0.9");
  CHECK(remote.port == 5433);
  CHECK(remote.slot_name == std::optional<std::string>("dr_slot"));
  CHECK(remote.recovery_settings.at("restore_command") == "cp /archive/%f %p");
  CHECK(remote.recovery_settings.at("recovery_min_apply_delay") == "5min");
  CHECK(Only<WriteStatus>(follow).status.optime == std::optional<Lsn>(200));
  CHECK(follow.message == "no action. I am (a), the standby leader with the lock");
  Decision demote = Decide(led, primary, StandbyConfig("a"));
  CHECK(Only<Demote>(demote).mode == pg::StopMode::kFast);  // acknowledged WAL reaches the replicas
  Decision restart = Decide(led, down, StandbyConfig("a"));
  CHECK(Only<StartTask>(restart).kind == TaskKind::kRejoin);
  CHECK(Only<StartTask>(restart).upstream->host == "10.0.0.9");
  // Without primary_slot_name no slot is used on the remote (it does not know our name).
  HaConfig no_slot = StandbyConfig("a");
  no_slot.standby_cluster->primary_slot_name.clear();
  CHECK(Only<Follow>(Decide(led, standby, no_slot)).upstream->slot_name == std::optional<std::string>(""));
}

TEST_CASE("standby cluster: bootstrap clones the remote, members cascade from the standby leader") {
  Decision boot = Decide(ClusterBuilder().NoInitialize().c, Local(Empty()), StandbyConfig("a"));
  REQUIRE(Actions(boot) == "CreateInitialize StartTask");
  CHECK(Only<StartTask>(boot).kind == TaskKind::kCreateReplica);
  CHECK(Only<StartTask>(boot).upstream->host == "10.0.0.9");
  CHECK(Only<StartTask>(boot).upstream->create_replica_methods == std::vector<std::string>{"basebackup"});
  CHECK(boot.message == "trying to bootstrap a new standby leader");
  CHECK(boot.memory.bootstrapping);
  // The clone finished: the cluster is published with the remote's system identifier, and the
  // winner holds the lock without arming the write guard (a standby cannot write).
  LocalState cloned = Local(Replica(100));
  cloned.memory.bootstrapping = true;
  cloned.task = TaskState{TaskKind::kCreateReplica, false, true, true, ""};
  auto initializing = ClusterBuilder().c;
  initializing.initialize = "";
  initializing.config.reset();
  CHECK(Actions(Decide(initializing, cloned, StandbyConfig("a"))) == "SetInitialize AcquireLock WriteConfig");

  auto led = ClusterBuilder().Leader("a").Member(M("a", "standby_leader")).Member(M("b", "replica")).c;
  LocalState replica = Local(Replica(100));
  replica.memory.last_leader = "a";
  Decision cascade = Decide(led, replica, StandbyConfig("b"));
  REQUIRE(Actions(cascade) == "Follow");
  const pg::Upstream& up = *Only<Follow>(cascade).upstream;
  CHECK(up.name == "a");  // the standby leader, not the remote
  CHECK(!up.slot_name.has_value());  // its own member slot on the standby leader
  CHECK(up.recovery_settings.at("restore_command") == "cp /archive/%f %p");
  CHECK(up.recovery_settings.count("recovery_min_apply_delay") == 0);  // the standby leader's alone
  CHECK(cascade.message == "no action. I am (b), a secondary, and following a standby leader (a)");
  // A new standby leader is followed once it runs as one (its key says standby_leader).
  LocalState new_leader = Local(Replica(100));
  new_leader.memory.last_leader = "c";
  CHECK(Actions(Decide(led, new_leader, StandbyConfig("b"))) == "StartTask");
}

}  // namespace
}  // namespace pgha::ha
