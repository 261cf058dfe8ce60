// Decide() in quorum commit mode (synchronous_mode: quorum) as tables: the primary moves
// synchronous_standby_names and the `sync` key one step per cycle, and the leader race needs the
// quorum's votes. The step order itself is tested in quorum_test.cc.
#include <catch2/catch.hpp>

#include "decide_builders.h"

namespace pgha::ha {
namespace {

using namespace decide_testing;  // NOLINT: the builders are this file's vocabulary

HaConfig QuorumConfig(const std::string& name, int node_count = 1) {
  HaConfig c = Config(name);
  c.synchronous_mode = config::SyncMode::kQuorum;
  c.synchronous_node_count = node_count;
  return c;
}

pg::ReplicationRow Streaming(const std::string& name, Lsn flush, const std::string& sync_state) {
  return {name, "replicator", "127.0.0.1", "streaming", sync_state, 1, flush, flush, flush};
}

TEST_CASE("quorum commit on the primary: one step per cycle, each observed before the next") {
  HaConfig cfg = QuorumConfig("a");
  auto base = ClusterBuilder().Leader("a").Member(M("a", "primary")).Member(M("b", "replica")).Member(M("c", "replica"))
                  .Optime(100);
  auto no_key = base.c;
  no_key.config->data["synchronous_mode"] = "quorum";
  auto key_empty = ClusterBuilder(base).Quorum("a", {}, 0).c;
  auto key_bc = ClusterBuilder(base).Quorum("a", {"b", "c"}, 1).c;

  LocalState fresh = Local(Primary(100));
  fresh.pg.replication = {Streaming("b", 100, "async"), Streaming("c", 100, "async")};
  LocalState listed = Local(Primary(100));
  listed.pg.synchronous_standby_names = "ANY 1 (b,c)";
  listed.pg.replication = {Streaming("b", 100, "quorum"), Streaming("c", 100, "quorum")};
  LocalState c_gone = listed;
  c_gone.pg.replication = {Streaming("b", 100, "quorum")};
  RunTable({
      {"quorum commit starts with a key naming the primary", no_key, fresh, cfg,
       "RefreshLock ArmWriteGuard WriteSync"},
      {"standbys enter synchronous_standby_names first", key_empty, fresh, cfg,
       "RefreshLock ArmWriteGuard SetSyncStandbyNames"},
      {"once they caught up they become voters", key_empty, listed, cfg, "RefreshLock ArmWriteGuard WriteSync"},
      {"steady state", key_bc, listed, cfg, "RefreshLock ArmWriteGuard"},
      {"a standby gone leaves synchronous_standby_names first", key_bc, c_gone, cfg,
       "RefreshLock ArmWriteGuard SetSyncStandbyNames"},
  });
  Decision start = Decide(no_key, fresh, cfg);
  const auto& started = std::get<WriteSync>(start.actions[2]).sync;
  CHECK(started.leader == "a");
  CHECK(started.quorum == 0);
  CHECK(started.sync_standby.empty());
  CHECK(start.next_cycle_within.has_value());  // the next step follows without waiting loop_wait
  CHECK(std::get<SetSyncStandbyNames>(Decide(key_empty, fresh, cfg).actions[2]).value == "ANY 1 (b,c)");
  Decision voters = Decide(key_empty, listed, cfg);
  const auto& written = std::get<WriteSync>(voters.actions[2]).sync;
  CHECK(written.sync_standby == std::vector<std::string>{"b", "c"});
  CHECK(written.quorum == 1);  // ANY 1 of 2: a race must see one of them
  CHECK(std::get<SetSyncStandbyNames>(Decide(key_bc, c_gone, cfg).actions[2]).value == "ANY 1 (b)");
  CHECK_FALSE(Decide(key_bc, listed, cfg).next_cycle_within.has_value());
  // The last standby gone: the key drops it first and the setting follows in the same cycle
  // (the key is written before PostgreSQL is asked to relax anything).
  auto key_b = ClusterBuilder(base).Quorum("a", {"b"}, 0).c;
  LocalState all_gone = Local(Primary(100));
  all_gone.pg.synchronous_standby_names = "ANY 1 (b)";
  Decision gone = Decide(key_b, all_gone, cfg);
  REQUIRE(Actions(gone) == "RefreshLock ArmWriteGuard WriteSync SetSyncStandbyNames");
  CHECK(std::get<WriteSync>(gone.actions[2]).sync.sync_standby.empty());
  CHECK(std::get<SetSyncStandbyNames>(gone.actions[3]).value == "");

  // A standby listed but not yet caught up (its flush is behind the position at which the
  // setting changed) is not counted as confirmed: the quorum stays high enough without it.
  LocalState behind = listed;
  behind.pg.current_lsn = 200;
  behind.memory.standby_names_seen = "";  // the setting changed while the primary was at 200
  behind.pg.replication = {Streaming("b", 200, "quorum"), Streaming("c", 150, "quorum")};
  Decision partial = Decide(key_empty, behind, cfg);
  INFO(Actions(partial));
  REQUIRE(Actions(partial) == "RefreshLock ArmWriteGuard WriteStatus WriteSync");
  CHECK(std::get<WriteSync>(partial.actions[3]).sync.quorum == 1);
  CHECK(partial.memory.caught_up_standbys == std::set<std::string>{"b"});
}

TEST_CASE("quorum commit: strict mode without standbys keeps commits waiting") {
  HaConfig strict = QuorumConfig("a");
  strict.synchronous_mode_strict = true;
  auto key_bc = ClusterBuilder().Leader("a").Member(M("a", "primary")).Member(M("b", "replica"))
                    .Member(M("c", "replica")).Optime(100).Quorum("a", {"b", "c"}, 1).c;
  auto key_empty = ClusterBuilder().Leader("a").Member(M("a", "primary")).Optime(100).Quorum("a", {}, 0).c;
  LocalState alone = Local(Primary(100));
  alone.pg.synchronous_standby_names = "ANY 1 (b,c)";
  Decision keep = Decide(key_bc, alone, strict);
  CHECK(Actions(keep) == "RefreshLock ArmWriteGuard");  // the last voters stay listed: commits wait
  LocalState bare = Local(Primary(100));
  Decision placeholder = Decide(key_empty, bare, strict);
  REQUIRE(Actions(placeholder) == "RefreshLock ArmWriteGuard SetSyncStandbyNames");
  CHECK(std::get<SetSyncStandbyNames>(placeholder.actions[2]).value ==
        "ANY 1 (__patroni_strict_sync_replica_placeholder__)");
  // Without strict mode the same primary commits alone.
  CHECK(Actions(Decide(key_bc, alone, QuorumConfig("a"))) != "RefreshLock ArmWriteGuard");
}

TEST_CASE("quorum commit: the leader race needs the quorum's votes") {
  // a (the former primary) is gone; `sync` says: voters b, c, quorum 1 (ANY 1 of them acked).
  auto cluster = ClusterBuilder().Member(M("b", "replica")).Member(M("c", "replica")).Member(M("d", "replica"))
                     .Quorum("a", {"b", "c"}, 1).c;
  LocalState b = Local(Replica(200));
  b.peers = {Peer("c", 200)};
  LocalState b_alone = Local(Replica(200));
  PeerStatus c_down = Peer("c", 0);
  c_down.reachable = false;
  b_alone.peers = {c_down};
  LocalState b_behind = Local(Replica(200));
  b_behind.peers = {Peer("c", 300)};
  LocalState d = Local(Replica(200));  // not a voter: it needs quorum + 1 votes
  d.peers = {Peer("b", 200), Peer("c", 200)};
  LocalState d_one_vote = Local(Replica(200));
  d_one_vote.peers = {Peer("b", 200), c_down};
  RunTable({
      {"a voter seeing another voter not ahead wins", cluster, b, QuorumConfig("b"),
       "AcquireLock ArmWriteGuard SetSyncStandbyNames Promote"},
      {"a voter alone has no quorum", cluster, b_alone, QuorumConfig("b"), ""},
      {"a voter behind another stays out", cluster, b_behind, QuorumConfig("b"), ""},
      {"a non-voter with every voter's vote wins", cluster, d, QuorumConfig("d"),
       "AcquireLock ArmWriteGuard SetSyncStandbyNames Promote"},
      {"a non-voter with one vote stays out", cluster, d_one_vote, QuorumConfig("d"), ""},
  });
  CHECK(Decide(cluster, b_alone, QuorumConfig("b")).message.find("quorum requirement 1") != std::string::npos);
  // Before promoting, the new primary's commits wait for enough of the old quorum that any
  // later race still overlaps them: ANY (members - quorum - 1) of the others.
  Decision won = Decide(cluster, b, QuorumConfig("b"));
  CHECK(std::get<SetSyncStandbyNames>(won.actions[2]).value == "ANY 1 (a,c)");
  Decision outsider = Decide(cluster, d, QuorumConfig("d"));
  CHECK(std::get<SetSyncStandbyNames>(outsider.actions[2]).value == "ANY 2 (a,b,c)");
  // A voter on a newer timeline is ahead whatever the LSNs say (a promotion this node missed);
  // a lower timeline never makes a peer less ahead (it may be a stale restartpoint's).
  LocalState on_new = Local(Replica(200));
  on_new.pg.timeline = 3;
  PeerStatus old_branch = Peer("c", 500);
  old_branch.timeline = 2;
  on_new.peers = {old_branch};
  CHECK(Actions(Decide(cluster, on_new, QuorumConfig("b"))) == "");
  LocalState on_old = Local(Replica(500));
  on_old.pg.timeline = 2;
  PeerStatus new_branch = Peer("b", 200);
  new_branch.timeline = 3;
  on_old.peers = {new_branch};
  CHECK(Actions(Decide(cluster, on_old, QuorumConfig("c"))) == "");
  // The former leader alone, nobody ahead: it wrote every commit, no votes needed.
  auto only_b = ClusterBuilder().Member(M("b", "replica")).Quorum("b", {"c"}, 1).c;
  LocalState former = Local(Replica(200));
  former.peers = {c_down};
  CHECK(Actions(Decide(only_b, former, QuorumConfig("b"))) == "AcquireLock ArmWriteGuard SetSyncStandbyNames Promote");
}

TEST_CASE("quorum commit: a switchover goes to a standby streaming from the primary") {
  HaConfig cfg = QuorumConfig("a");
  auto request = ClusterBuilder().Leader("a").Member(M("a", "primary")).Member(M("b", "replica"))
                     .Member(M("c", "replica")).Optime(100).Quorum("a", {"b", "c"}, 1).Failover("a", "c").c;
  LocalState streaming = Local(Primary(100));
  streaming.pg.synchronous_standby_names = "ANY 1 (b,c)";
  streaming.pg.replication = {Streaming("b", 100, "quorum"), Streaming("c", 100, "quorum")};
  streaming.peers = {Peer("b", 100), Peer("c", 100)};
  LocalState c_reconnecting = streaming;
  c_reconnecting.pg.replication = {Streaming("b", 100, "quorum")};
  RunTable({
      {"the candidate streams: demote in its favour", request, streaming, cfg, "RefreshLock ArmWriteGuard StartTask"},
      {"the candidate does not stream: refuse", request, c_reconnecting, cfg, "RefreshLock ArmWriteGuard ClearFailover"},
  });
}

}  // namespace
}  // namespace pgha::ha
