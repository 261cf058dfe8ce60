// Decide() as tables: a cluster state, a local state, the expected actions.
#include <catch2/catch.hpp>

#include "absl/strings/str_join.h"
#include "pgha/ha/decide.h"
#include "pgha/ha/write_deadline.h"
#include "decide_builders.h"

namespace pgha::ha {
namespace {

using namespace decide_testing;  // NOLINT: the builders are this file's vocabulary

// ---- tables ----------------------------------------------------------------------------------

TEST_CASE("an empty data directory: bootstrap race, clone, or wait") {
  LocalState lagging = Local(Empty());
  HaConfig nofailover = Config();
  nofailover.nofailover = true;
  HaConfig no_bootstrap = Config();
  no_bootstrap.bootstrap_configured = false;
  auto led = ClusterBuilder().Leader("b").Member(M("b", "primary")).c;
  auto clonefrom = ClusterBuilder().Leader("b").Member(M("b", "primary")).Member(M("c", "replica", 100, {{"clonefrom", true}})).c;
  RunTable({
      {"new cluster", ClusterBuilder().NoInitialize().c, Local(Empty()), Config(), "CreateInitialize StartTask"},
      {"nofailover never bootstraps", ClusterBuilder().NoInitialize().c, Local(Empty()), nofailover, ""},
      {"no bootstrap section", ClusterBuilder().NoInitialize().c, Local(Empty()), no_bootstrap, ""},
      {"someone else bootstraps", ClusterBuilder().c, Local(Empty()), Config(), ""},
      {"clone from the leader", led, Local(Empty()), Config(), "StartTask"},
      {"clone from a clonefrom member", clonefrom, Local(Empty()), Config(), "StartTask"},
      {"paused", ClusterBuilder().NoInitialize().Paused().c, Local(Empty()), Config(), ""},
      {"no leader: wait", ClusterBuilder().c, Local(Empty()), Config(), ""},
      {"no leader, a no_leader replica method: create the replica", ClusterBuilder().c, Local(Empty()),
       [] {
         HaConfig c = Config();
         c.replica_without_leader = true;
         return c;
       }(),
       "StartTask"},
      {"a no_leader method but the cluster is being bootstrapped: wait", [] {
         auto c = ClusterBuilder().c;
         c.initialize = "";
         return c;
       }(), Local(Empty()), [] {
         HaConfig c = Config();
         c.replica_without_leader = true;
         return c;
       }(), ""},
  });
  Decision d = Decide(clonefrom, Local(Empty()), Config());
  REQUIRE(d.actions.size() == 1);
  CHECK(std::get<StartTask>(d.actions[0]).upstream->name == "c");
  CHECK(Decide(ClusterBuilder().NoInitialize().c, Local(Empty()), Config()).memory.bootstrapping);
}

TEST_CASE("the end of our bootstrap publishes the cluster, or withdraws after a failure") {
  LocalState ok = Local(Primary());
  ok.memory.bootstrapping = true;
  ok.task = {TaskKind::kBootstrap, false, true, true, ""};
  LocalState failed = Local(Empty());
  failed.memory.bootstrapping = true;
  failed.task = {TaskKind::kBootstrap, false, true, false, "initdb failed"};
  dcs::ClusterState racing = ClusterBuilder().c;
  racing.initialize = "";
  racing.config.reset();
  HaConfig required = Config();
  required.watchdog = WatchdogMode::kRequired;
  LocalState no_watchdog = ok;
  no_watchdog.watchdog_usable = false;
  HaConfig automatic = Config();
  automatic.watchdog = WatchdogMode::kAutomatic;
  RunTable({
      {"success", racing, ok, Config(), "SetInitialize AcquireLock ArmWriteGuard WriteConfig"},
      {"failure", racing, failed, Config(), "CancelInitialize Exit"},
      {"watchdog required, none usable", racing, no_watchdog, required, "Demote CancelInitialize Exit"},
      {"watchdog required and usable", racing, ok, required, "SetInitialize AcquireLock ArmWriteGuard WriteConfig"},
      {"watchdog automatic, none usable", racing, no_watchdog, automatic, "SetInitialize AcquireLock ArmWriteGuard WriteConfig"},
  });
}

TEST_CASE("a data directory from another cluster is refused") {
  LocalState foreign = Local(Replica());
  foreign.pg.system_identifier = 7710826820256100000;
  RunTable({
      {"replica of another cluster", ClusterBuilder().Leader("b").Member(M("b", "primary")).c, foreign, Config(), "Exit"},
      {"paused: only reported", ClusterBuilder().Leader("b").Paused().c, foreign, Config(), ""},
  });
}

TEST_CASE("an initialize value that is not a system identifier stops nobody, the leader repairs it") {
  for (const char* garbage : {"abc", "{\"sysid\": 1}", "42", "-7710826820256107124", "\xff\xfe"}) {
    INFO(garbage);
    auto c = ClusterBuilder().Leader("a").Member(M("a", "primary")).Member(M("b", "replica")).c;
    c.initialize = garbage;
    std::string leader = Actions(Decide(c, Local(Primary()), Config()));
    INFO("leader: " << leader);
    CHECK(leader.find("Exit") == std::string::npos);
    CHECK(leader.find("SetInitialize") != std::string::npos);
    std::string replica = Actions(Decide(c, Local(Replica()), Config("b")));
    INFO("replica: " << replica);
    CHECK(replica.find("Exit") == std::string::npos);
    CHECK(replica.find("SetInitialize") == std::string::npos);
  }
}

TEST_CASE("the DCS cannot be read: a primary steps down, a replica carries on") {
  LocalState primary = Local(Primary());
  primary.dcs_ok = false;
  LocalState replica = Local(Replica());
  replica.dcs_ok = false;
  auto c = ClusterBuilder().Leader("a").Member(M("a", "primary")).c;
  RunTable({
      {"primary", c, primary, Config(), "Demote"},
      {"replica", c, replica, Config(), ""},
      {"paused primary", ClusterBuilder().Leader("a").Paused().c, primary, Config(), ""},
  });
  CHECK(std::get<Demote>(Decide(c, primary, Config()).actions[0]).mode == pg::StopMode::kFast);
}

TEST_CASE("failsafe mode: the primary survives a DCS outage only with every member's confirmation") {
  HaConfig failsafe = Config();
  failsafe.failsafe_mode = true;
  auto c = ClusterBuilder().Leader("a").Member(M("a", "primary")).Member(M("b", "replica")).c;
  c.failsafe = std::map<std::string, std::string>{{"a", "http://127.0.0.1:8008/patroni"},
                                                  {"b", "http://127.0.0.1:8009/patroni"}};
  LocalState confirmed = Local(Primary());
  confirmed.dcs_ok = false;
  confirmed.failsafe_confirmed = true;
  LocalState refused = confirmed;
  refused.failsafe_confirmed = false;
  RunTable({
      {"all members confirmed: keep running", c, confirmed, failsafe, "ArmWriteGuard"},
      {"a member did not confirm: step down", c, refused, failsafe, "Demote"},
      {"failsafe off: step down whatever the members say", c, confirmed, Config(), "Demote"},
  });
  CHECK(Decide(c, confirmed, failsafe).message.find("failsafe mode is enabled") != std::string::npos);

  // The race: only members listed in `failsafe`, and nobody while a primary's heartbeat is fresh.
  auto unlocked = ClusterBuilder().Member(M("a", "replica")).Member(M("b", "replica")).c;
  unlocked.failsafe = std::map<std::string, std::string>{{"b", "http://127.0.0.1:8009/patroni"}};
  LocalState a = Local(Replica(200));
  a.peers = {Peer("b", 100)};
  auto listed = unlocked;
  listed.failsafe->emplace("a", "http://127.0.0.1:8008/patroni");
  LocalState heard = a;
  heard.failsafe_heartbeat_recent = true;
  RunTable({
      {"not listed in failsafe: stays out", unlocked, a, failsafe, ""},
      {"listed: races", listed, a, failsafe, "AcquireLock ArmWriteGuard Promote"},
      {"a primary's heartbeat within ttl: stays out", listed, heard, failsafe, ""},
      {"failsafe off: the key is ignored", unlocked, a, Config(), "AcquireLock ArmWriteGuard Promote"},
  });

  // The leader keeps `failsafe` equal to the members' REST APIs.
  auto led = ClusterBuilder().Leader("a").Member(M("a", "primary")).Member(M("b", "replica")).Optime(100).c;
  LocalState primary = Local(Primary(100));
  Decision d = Decide(led, primary, failsafe);
  REQUIRE(Actions(d) == "RefreshLock ArmWriteGuard WriteFailsafe");
  CHECK(std::get<WriteFailsafe>(d.actions[2]).members.size() == 2);
  led.failsafe = std::get<WriteFailsafe>(d.actions[2]).members;
  CHECK(Actions(Decide(led, primary, failsafe)) == "RefreshLock ArmWriteGuard");
}

TEST_CASE("PostgreSQL is down: the lock holder restarts it until primary_start_timeout") {
  auto held = ClusterBuilder().Leader("a").Member(M("a", "primary")).c;
  LocalState down = Local(Stopped(true));
  LocalState timed_out = down;
  timed_out.memory.crash_restart_since = down.now - absl::Seconds(301);
  LocalState still_trying = down;
  still_trying.memory.crash_restart_since = down.now - absl::Seconds(10);
  HaConfig fast = Config();
  fast.primary_start_timeout = absl::ZeroDuration();
  auto led = ClusterBuilder().Leader("b").Member(M("b", "primary")).c;
  auto promoting = ClusterBuilder().Leader("b").Member(M("b", "replica")).c;
  RunTable({
      {"restart as primary", held, down, Config(), "RefreshLock ArmWriteGuard StartTask"},
      {"still within the timeout", held, still_trying, Config(), "RefreshLock ArmWriteGuard StartTask"},
      {"timeout: give the lock up", held, timed_out, Config(), "ReleaseLock"},
      {"primary_start_timeout 0: fail over at once", held, down, fast, "ReleaseLock"},
      {"no lock: rejoin as a replica", led, Local(Stopped(false)), Config(), "StartTask"},
      {"former primary waits for the new leader's promotion", promoting, Local(Stopped(true)), Config(), ""},
      {"paused: leave it", ClusterBuilder().Leader("a").Paused().c, down, Config(), "ReleaseLock"},
  });
  Decision d = Decide(led, Local(Stopped(false)), Config());
  CHECK(std::get<StartTask>(d.actions[0]).kind == TaskKind::kRejoin);
  CHECK(Decide(held, down, Config()).memory.crash_restart_since == down.now);
}

TEST_CASE("the leader race: only the healthiest eligible node takes the lock") {
  auto nobody = ClusterBuilder().Member(M("a", "replica")).Member(M("b", "replica")).Optime(100).c;
  LocalState alone = Local(Replica(100));
  LocalState behind_peer = alone;
  behind_peer.peers = {Peer("b", 200)};
  LocalState peer_primary = alone;
  peer_primary.peers = {Peer("b", 100, false)};
  LocalState equal_higher_priority = alone;
  equal_higher_priority.peers = {Peer("b", 100, true, 5)};
  LocalState ahead = alone;
  ahead.peers = {Peer("b", 50)};
  LocalState unreachable_peer = alone;
  unreachable_peer.peers = {Peer("b", 500)};
  unreachable_peer.peers[0].reachable = false;
  LocalState lagging = Local(Replica(100));
  auto far_optime = ClusterBuilder().Member(M("a", "replica")).Optime(100 + 2 * 1048576).c;
  HaConfig nofailover = Config();
  nofailover.nofailover = true;
  LocalState stray_primary = Local(Primary(100));
  stray_primary.peers = {Peer("b", 200)};
  RunTable({
      {"alone and healthy", nobody, alone, Config(), "AcquireLock ArmWriteGuard Promote"},
      {"a peer is ahead", nobody, behind_peer, Config(), ""},
      {"the primary is still alive", nobody, peer_primary, Config(), ""},
      {"equal WAL, the peer has a higher priority", nobody, equal_higher_priority, Config(), ""},
      {"we are ahead", nobody, ahead, Config(), "AcquireLock ArmWriteGuard Promote"},
      {"unreachable peers do not count", nobody, unreachable_peer, Config(), "AcquireLock ArmWriteGuard Promote"},
      {"too far behind the last leader position", far_optime, lagging, Config(), ""},
      {"nofailover", nobody, alone, nofailover, ""},
      {"a running primary that is not the healthiest steps down", nobody, stray_primary, Config(), "Demote"},
  });
}

TEST_CASE("the leader race in synchronous mode: only the former leader and sync standbys") {
  auto sync = ClusterBuilder().Member(M("a", "replica")).Member(M("b", "replica")).Sync("c", {"b"}).c;
  HaConfig cfg_a = Config("a");
  cfg_a.synchronous_mode = config::SyncMode::kOn;
  HaConfig cfg_b = Config("b");
  cfg_b.synchronous_mode = config::SyncMode::kOn;
  LocalState a = Local(Replica(300));  // the async node may even be ahead
  a.peers = {Peer("b", 200)};
  LocalState b = Local(Replica(200));
  b.peers = {Peer("a", 300)};  // a is not compared: it is not a sync standby
  RunTable({
      {"async standby stays out", sync, a, cfg_a, ""},
      {"sync standby claims sync, then promotes", sync, b, cfg_b, "AcquireLock ArmWriteGuard WriteSync Promote"},
  });
}

TEST_CASE("a switchover in synchronous mode: only sync members may win, and someone must") {
  HaConfig cfg_a = Config("a"), cfg_b = Config("b"), cfg_c = Config("c");
  for (HaConfig* c : {&cfg_a, &cfg_b, &cfg_c}) c->synchronous_mode = config::SyncMode::kOn;
  // A switchover from a to c, but `sync` lists b only (it changed after the request).
  auto to_c = ClusterBuilder().Member(M("a", "primary")).Member(M("b", "replica")).Member(M("c", "replica"))
                  .Sync("a", {"b"}).Failover("a", "c").c;
  LocalState c = Local(Replica(200));
  c.peers = {Peer("a", 100, true), Peer("b", 200)};
  LocalState b = Local(Replica(200));
  b.peers = {Peer("a", 100, true), Peer("c", 200)};
  // The former leader of a switchover whose only live peers are not in `sync` (the listed one
  // died): it must race, or the cluster stays leaderless.
  auto stuck = ClusterBuilder().Member(M("a", "replica")).Member(M("b", "replica")).Member(M("c", "replica"))
                   .Sync("a", {}).Failover("a", "").c;
  LocalState a = Local(Replica(300));
  a.peers = {Peer("b", 200), Peer("c", 200)};
  LocalState a_with_sync_peer = a;
  auto with_b = ClusterBuilder().Member(M("a", "replica")).Member(M("b", "replica")).Sync("a", {"b"}).Failover("a", "").c;
  a_with_sync_peer.peers = {Peer("b", 300)};
  RunTable({
      {"a named candidate outside sync does not promote", to_c, c, cfg_c, ""},
      {"nor does it keep the sync standby out", to_c, b, cfg_b, "AcquireLock ArmWriteGuard ClearFailover WriteSync Promote"},
      {"the former leader races when no peer may promote", stuck, a, cfg_a, "AcquireLock ArmWriteGuard ClearFailover WriteSync Promote"},
      {"the former leader stays out for a sync standby", with_b, a_with_sync_peer, cfg_a, ""},
  });
}

TEST_CASE("a manual failover names the winner, the lag check does not apply to it") {
  auto to_b = ClusterBuilder().Member(M("a", "replica")).Member(M("b", "replica")).Optime(5 * 1048576).Failover("", "b").c;
  LocalState b = Local(Replica(100));
  b.peers = {Peer("a", 200)};
  LocalState a = Local(Replica(200));
  a.peers = {Peer("b", 100)};
  RunTable({
      {"the named candidate takes over", to_b, b, Config("b"), "AcquireLock ArmWriteGuard ClearFailover Promote"},
      {"others defer to a live candidate", to_b, a, Config("a"), ""},
  });
}

TEST_CASE("the lock holder: refresh, promote if needed, status, switchover") {
  auto held = ClusterBuilder().Leader("a").Member(M("a", "primary")).Member(M("b", "replica")).Optime(100).c;
  LocalState same = Local(Primary(100));
  LocalState moved = Local(Primary(200));
  LocalState replica_with_lock = Local(Replica(100));
  auto switchover = ClusterBuilder().Leader("a").Member(M("a", "primary")).Member(M("b", "replica")).Optime(100).Failover("a", "b").c;
  LocalState with_peer = Local(Primary(100));
  with_peer.peers = {Peer("b", 100)};
  LocalState peer_down = Local(Primary(100));
  auto scheduled = switchover;
  scheduled.failover->scheduled_at = with_peer.wall_now + absl::Minutes(5);
  auto stale = switchover;
  stale.failover->scheduled_at = with_peer.wall_now - absl::Minutes(5);
  HaConfig slots = Config();
  slots.use_slots = true;
  RunTable({
      {"idle primary", held, same, Config(), "RefreshLock ArmWriteGuard"},
      {"WAL moved: status", held, moved, Config(), "RefreshLock ArmWriteGuard WriteStatus"},
      {"holding the lock as a replica: promote", held, replica_with_lock, Config(), "RefreshLock ArmWriteGuard Promote"},
      {"switchover to a healthy candidate", switchover, with_peer, Config(), "RefreshLock ArmWriteGuard StartTask"},
      {"switchover to an unreachable candidate is dropped", switchover, peer_down, Config(), "RefreshLock ArmWriteGuard ClearFailover"},
      {"scheduled switchover not yet due", scheduled, with_peer, Config(), "RefreshLock ArmWriteGuard"},
      {"stale scheduled switchover is dropped", stale, with_peer, Config(), "RefreshLock ArmWriteGuard ClearFailover"},
      {"slots for the other members", held, same, slots, "RefreshLock ArmWriteGuard SyncSlots"},
      {"paused primary keeps the lock", ClusterBuilder().Leader("a").Optime(100).Paused().c, same, Config(), "RefreshLock"},
  });
  Decision d = Decide(switchover, with_peer, Config());
  CHECK(std::get<StartTask>(d.actions[2]).kind == TaskKind::kGracefulDemote);
  CHECK(std::get<StartTask>(d.actions[2]).candidate == "b");
}

TEST_CASE("a switchover or failover asked for while paused is carried out at once, or dropped") {
  auto request = [](const std::string& leader, const std::string& candidate) {
    return ClusterBuilder().Leader("a").Member(M("a", "primary")).Member(M("b", "replica")).Optime(100)
        .Paused().Failover(leader, candidate).c;
  };
  LocalState primary = Local(Primary(100));
  primary.peers = {Peer("b", 100)};
  auto no_candidate = request("a", "");
  auto scheduled = request("a", "b");
  scheduled.failover->scheduled_at = primary.wall_now + absl::Minutes(5);
  auto to_b = request("a", "b");
  auto unlocked = to_b;
  unlocked.leader.reset();
  auto locked_by_b = to_b;
  locked_by_b.leader = dcs::Leader{"b", 10, "s"};
  HaConfig nofailover = Config("b");
  nofailover.nofailover = true;
  auto led_by_b = ClusterBuilder().Leader("b").Member(M("a", "replica")).Member(M("b", "primary")).Paused().c;
  RunTable({
      {"the primary demotes itself for the named candidate", to_b, primary, Config(), "RefreshLock StartTask"},
      {"without a candidate: dropped", no_candidate, primary, Config(), "RefreshLock ClearFailover"},
      {"scheduled: dropped", scheduled, primary, Config(), "RefreshLock ClearFailover"},
      {"an unreachable candidate: dropped", to_b, Local(Primary(100)), Config(), "RefreshLock ClearFailover"},
      {"the candidate takes the free lock and promotes", unlocked, Local(Replica(100)), Config("b"), "AcquireLock Promote"},
      {"a nofailover candidate does not", unlocked, Local(Replica(100)), nofailover, ""},
      {"another replica does not", unlocked, Local(Replica(100)), Config("c"), ""},
      {"a stopped candidate does not", unlocked, Local(Stopped()), Config("b"), ""},
      {"a scheduled request is not served by the candidate", [&] { auto s = scheduled; s.leader.reset(); return s; }(),
       Local(Replica(100)), Config("b"), ""},
      {"the candidate with the lock, still in recovery, keeps it", locked_by_b, Local(Replica(100)), Config("b"),
       "RefreshLock Promote"},
      {"promoted: the request is cleared", locked_by_b, Local(Primary(100)), Config("b"), "RefreshLock ClearFailover"},
      {"a replica without a request still gives up the lock", led_by_b, Local(Replica(100)), Config("b"), "ReleaseLock"},
      {"a running replica is pointed at the new leader", led_by_b, Local(Replica(100)), Config("a"), "Follow"},
      {"a stopped one is left alone", led_by_b, Local(Stopped()), Config("a"), ""},
  });
  Decision d = Decide(to_b, primary, Config());
  REQUIRE(Actions(d) == "RefreshLock StartTask");
  CHECK(std::get<StartTask>(d.actions[1]).kind == TaskKind::kGracefulDemote);
  CHECK(std::get<StartTask>(d.actions[1]).follow_after);
  auto unpaused = to_b;
  unpaused.config->data.erase("pause");
  Decision running = Decide(unpaused, primary, Config());
  REQUIRE(Actions(running) == "RefreshLock ArmWriteGuard StartTask");
  CHECK_FALSE(std::get<StartTask>(running.actions[2]).follow_after);
}

TEST_CASE("a replica keeps slots for its cascading members and copies of the permanent logical slots") {
  auto base = [] {
    auto b = ClusterBuilder().Leader("a").Member(M("a", "primary")).Member(M("b", "replica"))
                 .Member(M("c", "replica", 100, {{"replicatefrom", "b"}})).Optime(300);
    return b;
  };
  auto cascading = base().c;
  auto with_logical = base().c;
  with_logical.status.slots["cdc"] = 80;
  HaConfig b = Config("b");
  b.use_slots = true;
  HaConfig b_logical = b;
  b_logical.permanent_slots = {config::SlotConfig{"cdc", "logical", "app", "pgoutput", ""}};
  HaConfig b_nofailover = b_logical;
  b_nofailover.nofailover = true;
  pg::SlotInfo c_slot{pg::SlotNameForMember("c"), "physical", "", "", true, 100};
  auto replica = [&](std::vector<pg::SlotInfo> slots, Lsn replayed = 100) {
    LocalState l = Local(Replica(replayed));
    l.pg.server_version = 150004;
    l.pg.slots = std::move(slots);
    l.memory.last_leader = "a";
    return l;
  };
  pg::SlotInfo behind{"cdc", "logical", "pgoutput", "app", false, 40};
  behind.confirmed_flush_lsn = 50;
  pg::SlotInfo current = behind;
  current.confirmed_flush_lsn = 80;
  auto paused = with_logical;
  paused.config->data["pause"] = true;
  RunTable({
      {"the upstream of a cascading member creates its slot", cascading, replica({}), b, "Follow SyncSlots"},
      {"and keeps it", cascading, replica({c_slot}), b, "Follow"},
      {"a member that streams from the leader gets none here", cascading, replica({}), [] {
         HaConfig c = Config("c");
         c.use_slots = true;
         return c;
       }(), "Follow"},
      {"a published logical slot missing here is copied", with_logical, replica({c_slot}), b_logical, "Follow StartTask"},
      {"not on a nofailover member", with_logical, replica({c_slot}), b_nofailover, "Follow"},
      {"not while paused", paused, replica({c_slot}), b_logical, "Follow"},
      {"a copy behind the primary is advanced", with_logical, replica({c_slot, behind}), b_logical, "Follow SyncSlots"},
      {"a current copy is left alone", with_logical, replica({c_slot, current}), b_logical, "Follow"},
      {"a stray physical slot is dropped", cascading, replica({c_slot, {"old", "physical", "", "", false, 10}}), b,
       "Follow SyncSlots"},
  });
  Decision copy = Decide(with_logical, replica({c_slot}), b_logical);
  REQUIRE(Actions(copy) == "Follow StartTask");
  const auto& task = std::get<StartTask>(copy.actions[1]);
  CHECK(task.kind == TaskKind::kCopySlots);
  REQUIRE(task.slots.size() == 1);
  CHECK(task.slots[0].name == "cdc");
  REQUIRE(task.copy_from);
  CHECK(task.copy_from->name == "a");
  // Advanced to the primary's position, but never past what this replica has replayed.
  auto advance_of = [&](Lsn replayed) {
    Decision d = Decide(with_logical, replica({c_slot, behind}, replayed), b_logical);
    REQUIRE(Actions(d) == "Follow SyncSlots");
    for (const auto& w : std::get<SyncSlots>(d.actions[1]).slots) {
      if (w.name == "cdc") return w.advance_to;
    }
    return std::optional<Lsn>();
  };
  CHECK(advance_of(100) == std::optional<Lsn>(80));
  CHECK(advance_of(60) == std::optional<Lsn>(60));
}

TEST_CASE("a nostream member gets no slot: it reads the archive") {
  auto held = ClusterBuilder().Leader("a").Member(M("a", "primary")).Member(M("b", "replica", 100, {{"nostream", true}}))
                  .Member(M("c", "replica")).Optime(100).c;
  HaConfig slots = Config();
  slots.use_slots = true;
  Decision d = Decide(held, Local(Primary(100)), slots);
  REQUIRE(Actions(d) == "RefreshLock ArmWriteGuard SyncSlots");
  const auto& wanted = std::get<SyncSlots>(d.actions[2]).slots;
  REQUIRE(wanted.size() == 1);
  CHECK(wanted[0].name == "c");
}

TEST_CASE("the primary publishes the positions of the permanent slots in /status") {
  auto held = ClusterBuilder().Leader("a").Member(M("a", "primary")).Optime(100).c;
  HaConfig config = Config();
  config.use_slots = true;
  config.permanent_slots = {config::SlotConfig{"cdc", "logical", "app", "pgoutput", ""}};
  LocalState l = Local(Primary(100));
  pg::SlotInfo cdc{"cdc", "logical", "pgoutput", "app", false, 40};
  cdc.confirmed_flush_lsn = 90;
  l.pg.slots = {cdc, {"other", "physical", "", "", true, 70}};
  Decision d = Decide(held, l, config);
  REQUIRE(Actions(d) == "RefreshLock ArmWriteGuard WriteStatus");
  const auto& status = std::get<WriteStatus>(d.actions[2]).status;
  CHECK(status.slots == std::map<std::string, Lsn>{{"cdc", 90}});
  CHECK(status.optime == std::optional<Lsn>(100));
  auto published = held;
  published.status.slots = {{"cdc", 90}};
  CHECK(Actions(Decide(published, l, config)) == "RefreshLock ArmWriteGuard");
}

TEST_CASE("the primary drops a stray physical slot, but not while paused, not one in ignore_slots, not one in use, not a logical one") {
  auto held = ClusterBuilder().Leader("a").Member(M("a", "primary")).Member(M("b", "replica")).Optime(100).c;
  auto with_slots = [](std::vector<pg::SlotInfo> slots) {
    LocalState l = Local(Primary(100));
    l.pg.slots = std::move(slots);
    return l;
  };
  pg::SlotInfo mine{pg::SlotNameForMember("b"), "physical", "", "", true, 100};
  pg::SlotInfo barman{"barman", "physical", "", "", false, 50};
  pg::SlotInfo receiver{"pg_receivewal", "physical", "", "", true, 50};
  pg::SlotInfo debezium{"debezium", "logical", "pgoutput", "app", false, 50};
  HaConfig slots = Config();
  slots.use_slots = true;
  HaConfig ignoring = slots;
  ignoring.ignore_slots = Json::array({{{"name", "barman"}, {"type", "physical"}}});
  HaConfig ignoring_other_type = slots;
  ignoring_other_type.ignore_slots = Json::array({{{"name", "barman"}, {"type", "logical"}}});
  auto paused = held;
  paused.config->data["pause"] = true;
  Decision stray = Decide(held, with_slots({mine, barman}), slots);
  INFO(Actions(stray));
  REQUIRE(Actions(stray) == "RefreshLock ArmWriteGuard SyncSlots");
  CHECK(std::get<SyncSlots>(stray.actions[2]).drop == std::vector<std::string>{"barman"});
  RunTable({
      {"ignored by name and type", held, with_slots({mine, barman}), ignoring, "RefreshLock ArmWriteGuard"},
      {"an entry for another type does not match", held, with_slots({mine, barman}), ignoring_other_type,
       "RefreshLock ArmWriteGuard SyncSlots"},
      {"in use", held, with_slots({mine, receiver}), slots, "RefreshLock ArmWriteGuard"},
      {"logical", held, with_slots({mine, debezium}), slots, "RefreshLock ArmWriteGuard"},
      {"paused", paused, with_slots({mine, barman}), slots, "RefreshLock"},
  });
}

TEST_CASE("member_slots_ttl: an absent member's slot is kept until the ttl passes, published in retain_slots, and kept by the next primary") {
  HaConfig ttl = Config();
  ttl.use_slots = true;
  ttl.member_slots_ttl = absl::Seconds(60);
  HaConfig no_ttl = ttl;
  no_ttl.member_slots_ttl = absl::ZeroDuration();
  pg::SlotInfo b_slot{"b", "physical", "", "", false, 100};
  auto present = ClusterBuilder().Leader("a").Member(M("a", "primary")).Member(M("b", "replica")).Optime(100).c;
  LocalState seen = Local(Primary(100));
  seen.pg.slots = {b_slot};

  // b is there with its slot: it is remembered and published.
  Decision first = Decide(present, seen, ttl);
  REQUIRE(Actions(first) == "RefreshLock ArmWriteGuard WriteStatus");
  CHECK(std::get<WriteStatus>(first.actions[2]).status.retain_slots == std::vector<std::string>{"b"});

  // b's member key is gone (a reboot): its slot stays for the ttl, and nothing is rewritten.
  auto absent = ClusterBuilder().Leader("a").Member(M("a", "primary")).Optime(100).c;
  absent.status.retain_slots = {"b"};
  LocalState later = seen;
  later.memory = first.memory;
  later.now = seen.now + absl::Seconds(59);
  CHECK(Actions(Decide(absent, later, ttl)) == "RefreshLock ArmWriteGuard");
  // Past the ttl: dropped, and no longer published.
  later.now = seen.now + absl::Seconds(60);
  Decision expired = Decide(absent, later, ttl);
  REQUIRE(Actions(expired) == "RefreshLock ArmWriteGuard WriteStatus SyncSlots");
  CHECK(std::get<WriteStatus>(expired.actions[2]).status.retain_slots.empty());
  CHECK(std::get<SyncSlots>(expired.actions[3]).drop == std::vector<std::string>{"b"});
  // member_slots_ttl 0: dropped at once (Patroni 3).
  Decision at_once = Decide(absent, seen, no_ttl);
  REQUIRE(Actions(at_once) == "RefreshLock ArmWriteGuard WriteStatus SyncSlots");
  CHECK(std::get<SyncSlots>(at_once.actions[3]).drop == std::vector<std::string>{"b"});

  // A cascading member's slot on the primary (made while its upstream was down) is not one the
  // primary serves or advances: it is dropped, not retained, even when it was served before.
  auto cascading = ClusterBuilder().Leader("a").Member(M("a", "primary")).Member(M("b", "replica"))
                       .Member(M("c", "replica", 100, {{"replicatefrom", "b"}})).Optime(100).c;
  cascading.status.retain_slots = {"b", "c"};
  LocalState both = seen;
  both.pg.slots = {b_slot, {"c", "physical", "", "", false, 100}};
  both.memory = first.memory;
  both.memory.member_slot_seen["c"] = seen.now;
  Decision dropped = Decide(cascading, both, ttl);
  REQUIRE(Actions(dropped) == "RefreshLock ArmWriteGuard SyncSlots");
  CHECK(std::get<SyncSlots>(dropped.actions[2]).drop == std::vector<std::string>{"c"});

  // A new primary (another timeline, no memory) creates and keeps what retain_slots names,
  // but never a slot for itself, nor a name PostgreSQL would refuse.
  auto promoted = ClusterBuilder().Leader("a").Member(M("a", "primary")).Optime(100).c;
  promoted.status.retain_slots = {"a", "b", "Not A Slot"};
  LocalState fresh = Local(Primary(100));
  fresh.pg.timeline = 2;
  Decision created = Decide(promoted, fresh, ttl);
  INFO(Actions(created));
  REQUIRE(Actions(created) == "RefreshLock ArmWriteGuard WriteStatus SyncSlots");
  CHECK(std::get<WriteStatus>(created.actions[2]).status.retain_slots == std::vector<std::string>{"b"});
  const auto& wanted = std::get<SyncSlots>(created.actions[3]).slots;
  REQUIRE(wanted.size() == 1);
  CHECK(wanted[0].name == "b");
}

TEST_CASE("synchronous replication: the GUC first, the sync key after confirmation") {
  HaConfig cfg = Config();
  cfg.synchronous_mode = config::SyncMode::kOn;
  auto base = ClusterBuilder().Leader("a").Member(M("a", "primary")).Member(M("b", "replica")).Optime(100);
  auto no_key = base.c;
  auto key_empty = ClusterBuilder(base).Sync("a", {}).c;
  auto key_b = ClusterBuilder(base).Sync("a", {"b"}).c;
  LocalState streaming = Local(Primary(100));
  streaming.pg.replication = {{"b", "replicator", "127.0.0.1", "streaming", "async", 0, 100, 100, 100}};
  LocalState guc_set = streaming;
  guc_set.pg.synchronous_standby_names = "\"b\"";
  guc_set.pg.replication[0].sync_state = "sync";
  LocalState b_gone = Local(Primary(100));
  b_gone.pg.synchronous_standby_names = "\"b\"";
  HaConfig strict = cfg;
  strict.synchronous_mode_strict = true;
  RunTable({
      {"create the key as leader", no_key, streaming, cfg, "RefreshLock ArmWriteGuard WriteSync SetSyncStandbyNames"},
      {"set the GUC for the candidate", key_empty, streaming, cfg, "RefreshLock ArmWriteGuard SetSyncStandbyNames"},
      {"confirmed: publish it", key_empty, guc_set, cfg, "RefreshLock ArmWriteGuard WriteSync"},
      {"steady state", key_b, guc_set, cfg, "RefreshLock ArmWriteGuard"},
      {"standby gone: remove it from the key first", key_b, b_gone, cfg, "RefreshLock ArmWriteGuard WriteSync SetSyncStandbyNames"},
  });
  Decision gone = Decide(key_b, b_gone, cfg);
  CHECK(std::get<WriteSync>(gone.actions[2]).sync.sync_standby.empty());
  CHECK(std::get<SetSyncStandbyNames>(gone.actions[3]).value == "");
  Decision strict_gone = Decide(key_b, b_gone, strict);
  // Strict mode blocks commits ("*") and lists nobody: the gone standby must not stay promotable.
  CHECK(std::get<WriteSync>(strict_gone.actions[2]).sync.sync_standby.empty());
  CHECK(std::get<SetSyncStandbyNames>(strict_gone.actions[3]).value == "*");
  // Strict mode, the listed standby gone and another one streaming: it enters the GUC, and
  // `sync` no longer lists the gone one (it would miss what the new one acknowledges).
  auto key_b_with_c = ClusterBuilder(base).Member(M("c", "replica")).Sync("a", {"b"}).c;
  LocalState c_streams = Local(Primary(100));
  c_streams.pg.synchronous_standby_names = "\"b\"";
  c_streams.pg.replication = {{"c", "replicator", "127.0.0.1", "streaming", "async", 0, 100, 100, 100}};
  Decision replaced = Decide(key_b_with_c, c_streams, strict);
  INFO(Actions(replaced));
  REQUIRE(Actions(replaced) == "RefreshLock ArmWriteGuard WriteSync SetSyncStandbyNames");
  CHECK(std::get<WriteSync>(replaced.actions[2]).sync.sync_standby.empty());
  CHECK(std::get<SetSyncStandbyNames>(replaced.actions[3]).value == "\"c\"");
  Decision set = Decide(key_empty, streaming, cfg);
  CHECK(std::get<SetSyncStandbyNames>(set.actions[2]).value == "\"b\"");
}

TEST_CASE("maximum_lag_on_syncnode: a lagging standby is not made synchronous, a healthy one is") {
  HaConfig cfg = Config();
  cfg.synchronous_mode = config::SyncMode::kOn;
  cfg.maximum_lag_on_syncnode = 1000;
  auto key_empty = ClusterBuilder().Leader("a").Member(M("a", "primary")).Member(M("b", "replica"))
                       .Member(M("c", "replica")).Optime(10000).Sync("a", {}).c;
  LocalState l = Local(Primary(10000));
  // b has the higher priority order (listed first, sync earlier) but lags 5000 bytes behind c.
  l.pg.replication = {{"b", "replicator", "127.0.0.1", "streaming", "async", 0, 5000, 5000, 5000},
                      {"c", "replicator", "127.0.0.1", "streaming", "async", 0, 10000, 10000, 10000}};
  Decision d = Decide(key_empty, l, cfg);
  REQUIRE(Actions(d) == "RefreshLock ArmWriteGuard SetSyncStandbyNames");
  CHECK(std::get<SetSyncStandbyNames>(d.actions[2]).value == "\"c\"");
  // Disabled (-1): the order alone decides; both are considered and c, further ahead, still wins
  // the tie-break, so compare with one lagging standby alone.
  LocalState only_b = Local(Primary(10000));
  only_b.pg.replication = {{"b", "replicator", "127.0.0.1", "streaming", "async", 0, 5000, 5000, 5000}};
  CHECK(Actions(Decide(key_empty, only_b, cfg)) == "RefreshLock ArmWriteGuard");  // b lags 5000 > 1000
  HaConfig off = cfg;
  off.maximum_lag_on_syncnode = -1;
  Decision b_taken = Decide(key_empty, only_b, off);
  REQUIRE(Actions(b_taken) == "RefreshLock ArmWriteGuard SetSyncStandbyNames");
  CHECK(std::get<SetSyncStandbyNames>(b_taken.actions[2]).value == "\"b\"");
}

TEST_CASE("max_timelines_history: the history key keeps the newest entries") {
  auto held = ClusterBuilder().Leader("a").Member(M("a", "primary")).Optime(100).c;
  LocalState l = Local(Primary(100));
  l.pg.timeline = 5;
  for (int t = 1; t <= 4; ++t) l.pg.timeline_history.push_back({t, static_cast<Lsn>(t * 100), "no recovery target specified"});
  HaConfig cfg = Config();
  cfg.max_timelines_history = 2;
  auto history_of = [&](const HaConfig& config) {
    Decision d = Decide(held, l, config);
    for (const auto& a : d.actions) {
      if (const auto* h = std::get_if<WriteHistory>(&a)) return h->history;
    }
    return std::vector<dcs::HistoryEntry>{};
  };
  auto kept = history_of(cfg);
  REQUIRE(kept.size() == 2);
  CHECK(kept[0].timeline == 3);
  CHECK(kept[1].timeline == 4);
  CHECK(history_of(Config()).size() == 4);
}

TEST_CASE("followers: follow the leader, rejoin when it changed, step down as a stray primary") {
  auto led = ClusterBuilder().Leader("b").Member(M("a", "replica")).Member(M("b", "primary")).c;
  LocalState steady = Local(Replica());
  steady.memory.last_leader = "b";
  LocalState changed = Local(Replica());
  changed.memory.last_leader = "c";
  auto promoting = ClusterBuilder().Leader("b").Member(M("b", "replica")).c;
  RunTable({
      {"steady", led, steady, Config(), "Follow"},
      {"leader changed: divergence check", led, changed, Config(), "StartTask"},
      {"leader not yet primary: wait", promoting, changed, Config(), ""},
      {"a primary without the lock steps down", led, Local(Primary()), Config(), "Demote"},
      {"paused: nothing", ClusterBuilder().Leader("b").Paused().c, Local(Primary()), Config(), ""},
  });
}

TEST_CASE("a rejoin counts only when it succeeded") {
  auto led = ClusterBuilder().Leader("b").Member(M("a", "replica")).Member(M("b", "primary")).c;
  LocalState first = Local(Replica());
  first.memory.last_leader = "c";
  Decision start = Decide(led, first, Config());
  REQUIRE(Actions(start) == "StartTask");
  CHECK(start.memory.rejoin_target == "b");
  CHECK(start.memory.last_leader == "c");  // not before the rejoin succeeded

  LocalState failed = Local(Replica());
  failed.memory = start.memory;
  failed.task = {TaskKind::kRejoin, false, true, false, "cannot check divergence from b"};
  Decision retry = Decide(led, failed, Config());
  CHECK(Actions(retry) == "StartTask");  // checks again instead of following unchecked
  CHECK(std::get<StartTask>(retry.actions[0]).kind == TaskKind::kRejoin);
  CHECK(retry.memory.rejoin_needed);

  LocalState done = Local(Replica());
  done.memory = retry.memory;
  done.task = {TaskKind::kRejoin, false, true, true, ""};
  Decision follow = Decide(led, done, Config());
  CHECK(Actions(follow) == "Follow");
  CHECK(follow.memory.last_leader == "b");
  CHECK_FALSE(follow.memory.rejoin_needed);
  CHECK(follow.memory.rejoin_target.empty());
}

TEST_CASE("a task in flight: only keep the lock") {
  LocalState busy = Local(Primary());
  busy.task = {TaskKind::kGracefulDemote, true, false, false, ""};
  RunTable({
      {"holder", ClusterBuilder().Leader("a").c, busy, Config(), "RefreshLock ArmWriteGuard"},
      {"not holder", ClusterBuilder().Leader("b").c, busy, Config(), ""},
  });
}

TEST_CASE("the write deadline: margin at least 1 s, a fifth of ttl above 5 s, fast stop first") {
  absl::Time s = absl::UnixEpoch() + absl::Hours(1);
  WriteDeadline ten = WriteDeadlineAfter(s, absl::Seconds(10));
  CHECK(ten.kill == s + absl::Seconds(8));
  CHECK(ten.stop_writes == s + absl::Seconds(7));
  WriteDeadline five = WriteDeadlineAfter(s, absl::Seconds(5));
  CHECK(five.kill == s + absl::Seconds(4));
  CHECK(five.stop_writes == s + absl::Milliseconds(3500));
  WriteDeadline thirty = WriteDeadlineAfter(s, absl::Seconds(30));
  CHECK(thirty.kill == s + absl::Seconds(24));
  // Whatever the ttl, writes stop at least 1 s before the lease can expire.
  for (int ttl = 2; ttl <= 120; ++ttl) {
    WriteDeadline d = WriteDeadlineAfter(s, absl::Seconds(ttl));
    INFO("ttl " << ttl);
    CHECK(d.stop_writes <= d.kill);
    CHECK(s + absl::Seconds(ttl) - d.stop_writes >= absl::Seconds(1));
    CHECK(d.stop_writes > s);
  }
}

TEST_CASE("write deadline rules: a primary past its deadline stops, the guard follows the role") {
  auto held = ClusterBuilder().Leader("a").Member(M("a", "primary")).Optime(100).c;
  auto theirs = ClusterBuilder().Leader("b").Member(M("b", "primary")).c;
  LocalState fresh = Local(Primary(100));
  fresh.lock_refreshed_at = fresh.now - absl::Seconds(1);
  fresh.write_guard_armed = true;
  LocalState stale = fresh;  // ttl 30 (Config's default): stop_writes 23 s after the refresh
  stale.lock_refreshed_at = stale.now - absl::Seconds(23);
  LocalState stale_no_dcs = stale;
  stale_no_dcs.dcs_ok = false;
  LocalState stale_confirmed = stale_no_dcs;
  stale_confirmed.failsafe_confirmed = true;
  HaConfig failsafe = Config();
  failsafe.failsafe_mode = true;
  LocalState replica_armed = Local(Replica());
  replica_armed.write_guard_armed = true;
  replica_armed.memory.last_leader = "b";
  LocalState down_in_task = Local(Stopped(true));
  down_in_task.write_guard_armed = true;
  down_in_task.task = {TaskKind::kRestart, true, false, false, ""};
  down_in_task.dcs_ok = false;
  RunTable({
      {"within the deadline: keep the lock and arm", held, fresh, Config(), "RefreshLock ArmWriteGuard"},
      {"past the deadline: stop at once, then disarm", held, stale, Config(), "Demote DisarmWriteGuard"},
      {"past the deadline, DCS silent", held, stale_no_dcs, Config(), "Demote DisarmWriteGuard"},
      {"past the deadline, every member confirmed (failsafe)", held, stale_confirmed, failsafe, "ArmWriteGuard"},
      {"paused: no deadline is enforced", ClusterBuilder().Leader("a").Optime(100).Paused().c, stale,
       Config(), "RefreshLock DisarmWriteGuard"},
      {"a replica never keeps the guard armed", theirs, replica_armed, Config(), "Follow DisarmWriteGuard"},
      {"a task may make it primary again: stay armed", held, down_in_task, Config(), ""},
  });
  CHECK(std::get<Demote>(Decide(held, stale, Config()).actions[0]).mode == pg::StopMode::kImmediate);
  // A primary's refresh says how to stop should it fail; a replica's (about to promote) does not.
  auto refresh = std::get<RefreshLock>(Decide(held, fresh, Config()).actions[0]);
  CHECK(refresh.stop_if_lost == pg::StopMode::kImmediate);
  CHECK(refresh.stop_if_unreachable == pg::StopMode::kFast);
  auto promoting = std::get<RefreshLock>(Decide(held, Local(Replica()), Config()).actions[0]);
  CHECK(!promoting.stop_if_lost);
  CHECK(!promoting.stop_if_unreachable);
}

TEST_CASE("restart and reinitialize on request: started as tasks, the leader never reinitialized") {
  auto held = ClusterBuilder().Leader("a").Member(M("a", "primary")).Optime(100).c;
  auto theirs = ClusterBuilder().Leader("b").Member(M("b", "primary")).c;
  auto leaderless = ClusterBuilder().Member(M("a", "replica")).c;
  LocalState primary_restart = Local(Primary(100));
  primary_restart.command = ManualCommand{ManualCommand::Kind::kRestart};
  LocalState primary_reinit = Local(Primary(100));
  primary_reinit.command = ManualCommand{ManualCommand::Kind::kReinitialize};
  LocalState replica_reinit = Local(Replica());
  replica_reinit.command = ManualCommand{ManualCommand::Kind::kReinitialize};
  replica_reinit.memory.last_leader = "b";
  LocalState replica_restart = replica_reinit;
  replica_restart.command = ManualCommand{ManualCommand::Kind::kRestart};
  RunTable({
      {"the leader restarts, keeping its lock", held, primary_restart, Config(), "RefreshLock ArmWriteGuard StartTask"},
      {"the leader refuses to reinitialize, and keeps its lock", held, primary_reinit, Config(), "RefreshLock ArmWriteGuard"},
      {"a replica reinitializes from the leader", theirs, replica_reinit, Config(), "StartTask"},
      {"a replica restarts", theirs, replica_restart, Config(), "StartTask"},
      {"no leader: no reinitialization, the race goes on", leaderless, replica_reinit, Config(), "AcquireLock ArmWriteGuard Promote"},
  });
  CHECK(Decide(held, primary_reinit, Config()).command_refused == "I am the leader, can not reinitialize");
  CHECK(Decide(leaderless, replica_reinit, Config()).command_refused == "Cluster has no leader, can not reinitialize");
  CHECK(!Decide(theirs, replica_reinit, Config()).command_refused);
  StartTask reinit = std::get<StartTask>(Decide(theirs, replica_reinit, Config()).actions[0]);
  CHECK(reinit.kind == TaskKind::kReinitialize);
  CHECK(reinit.upstream->name == "b");
  StartTask restart = std::get<StartTask>(Decide(held, primary_restart, Config()).actions[2]);
  CHECK(restart.kind == TaskKind::kRestart);
  CHECK(restart.candidate == "primary");
  CHECK(!restart.upstream);
}

TEST_CASE("the rule list is documented and ordered") {
  auto names = RuleNames();
  REQUIRE(names.size() == 11);
  CHECK(names.front() == "write_deadline_passed");
  CHECK(names.back() == "follow_leader");
}

}  // namespace
}  // namespace pgha::ha
