// HA scenarios on real PostgreSQL 15, real pgha daemons and a real DCS, all on 127.0.0.1:
// ttl 10, loop_wait 1, retry_timeout 3 unless a case says otherwise.
//
// Cases tagged [postgres-feature] test what pgha does with PostgreSQL (pause, slots) through
// DCS calls the other cases make too, and which conformance_<dcs> checks on every backend:
// they run on etcd only (scenario_zookeeper leaves them out), which keeps CI in its budget.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cluster_harness.h"
#include "pgha/base/lsn.h"
#include "wait.h"

namespace pgha::testing {
namespace {

constexpr absl::Duration kStart = absl::Seconds(120);

bool HasRow(ClusterHarness& c, int i, int id) {
  auto r = c.Sql(i, absl::StrCat("SELECT 1 FROM t WHERE id = ", id));
  return r.ok() && r->size() == 1;
}

ClusterOptions Timings(int ttl, int loop_wait, int retry_timeout) {
  ClusterOptions o;
  o.ttl = ttl;
  o.loop_wait = loop_wait;
  o.retry_timeout = retry_timeout;
  return o;
}

// Node i no longer accepts writes: down, or running read-only.
bool StoppedWriting(ClusterHarness& c, int i) {
  auto r = c.Sql(i, "SELECT pg_is_in_recovery()");
  return !r.ok() || (*r)[0] == "t";
}

TEST_CASE("bootstrap: one leader, two streaming replicas") {
  RequireScenarioPrerequisites();
  ClusterHarness c;
  c.StartAll();
  auto primary = c.WaitForHealthy(2, kStart);
  INFO(c.LogTail(0) << c.LogTail(1) << c.LogTail(2));
  REQUIRE(primary);
  int leaders = 0;
  for (int i = 0; i < c.size(); ++i) leaders += c.Rest(i, "GET", "/leader").first == 200 ? 1 : 0;
  CHECK(leaders == 1);
  auto p = c.Patroni(*primary);
  REQUIRE(p);
  CHECK((*p)["role"] == "master");
  CHECK(p->contains("replication"));
  CHECK((*p)["replication"].size() == 2);
  REQUIRE(c.Sql(*primary, "CREATE TABLE t (id int primary key)").ok());
  REQUIRE(c.Sql(*primary, "INSERT INTO t VALUES (1)").ok());
  for (int i = 0; i < c.size(); ++i) {
    REQUIRE(WaitFor([&] { return HasRow(c, i, 1); }, absl::Seconds(30)));
  }
}

TEST_CASE(
    "kill -9 of the primary's daemon and postmaster: a replica takes over; the old node rejoins "
    "with every row") {
  RequireScenarioPrerequisites();
  ClusterHarness c;
  c.StartAll();
  auto old_primary = c.WaitForHealthy(2, kStart);
  REQUIRE(old_primary);
  REQUIRE(c.Sql(*old_primary, "CREATE TABLE t (id int primary key)").ok());
  for (int id = 1; id <= 100; ++id) {
    REQUIRE(c.Sql(*old_primary, absl::StrCat("INSERT INTO t VALUES (", id, ")")).ok());
  }
  // The rows are on both replicas before the crash (asynchronous replication may lose the tail
  // otherwise, which is the documented async behaviour and not what this case checks).
  for (int i = 0; i < c.size(); ++i)
    REQUIRE(WaitFor([&] { return HasRow(c, i, 100); }, absl::Seconds(30)));
  c.KillDaemon(*old_primary);
  c.KillPostmaster(*old_primary);
  std::optional<int> new_primary;
  REQUIRE(WaitFor(
      [&] {
        new_primary = c.Primary();
        return new_primary && *new_primary != *old_primary;
      },
      absl::Seconds(60)));
  REQUIRE(c.Sql(*new_primary, "INSERT INTO t VALUES (101)").ok());
  c.StartNode(*old_primary);
  REQUIRE(WaitFor([&] { return HasRow(c, *old_primary, 101); }, absl::Seconds(120)));
  auto count = c.Sql(*old_primary, "SELECT count(*) FROM t");
  REQUIRE(count.ok());
  CHECK((*count)[0] == "101");
  // The REST API reports what the last HA cycle saw: give it a cycle.
  CHECK(WaitFor(
      [&] {
        auto p = c.Patroni(*old_primary);
        return p && (*p)["role"] == "replica" && (*p)["state"] == "running";
      },
      absl::Seconds(30)));
  CHECK(c.WaitForHealthy(2, absl::Seconds(60)) == new_primary);
}

// The loop never waits out loop_wait while something it waits for happened: a task finished
// (initdb, clone, start), the leader appeared. Each wait below ends far sooner than one loop_wait;
// a loop that slept between the steps would need two or more of them.
TEST_CASE("wake-ups: at loop_wait 60 a fresh cluster streams, and a SIGTERMed primary rejoins, within 50 s") {
  RequireScenarioPrerequisites();
  ClusterHarness c(Timings(150, 60, 10));
  c.StartAll();
  const absl::Duration kWithinOneLoop = absl::Seconds(50);
  auto primary = c.WaitForHealthy(2, kWithinOneLoop);
  INFO(c.LogTail(0) << c.LogTail(1) << c.LogTail(2));
  REQUIRE(primary);
  c.TermDaemon(*primary);
  c.StartNode(*primary);
  // Usually another node holds the lock before the daemon is back; should the restarted node
  // win the race itself, the others follow it instead.
  bool rejoined = WaitFor(
      [&] { return c.Primary() == primary || c.StreamingReplica(*primary); }, kWithinOneLoop);
  if (!rejoined) FAIL_CHECK("not rejoined:\n" << c.LogTail(0) << c.LogTail(1) << c.LogTail(2));
  if (!c.WaitForHealthy(2, kWithinOneLoop)) {
    FAIL_CHECK("not healthy:\n" << c.LogTail(0) << c.LogTail(1) << c.LogTail(2));
  }
}

TEST_CASE("SIGTERM on the primary's daemon: a replica takes over without waiting for the TTL") {
  RequireScenarioPrerequisites();
  // A long TTL: a takeover that waited for the lease to expire could not happen within 45 s.
  ClusterHarness c(Timings(60, 2, 10));
  c.StartAll();
  auto old_primary = c.WaitForHealthy(2, kStart);
  REQUIRE(old_primary);
  c.TermDaemon(*old_primary);
  CHECK_FALSE(c.DaemonRunning(*old_primary));
  std::optional<int> new_primary;
  REQUIRE(WaitFor(
      [&] {
        new_primary = c.Primary();
        return new_primary && *new_primary != *old_primary;
      },
      absl::Seconds(45)));
  CHECK(c.Sql(*new_primary, "CREATE TABLE t (id int)").ok());
}

TEST_CASE(
    "switchover to a named candidate: writes resume there and the old primary streams from it") {
  RequireScenarioPrerequisites();
  ClusterHarness c;
  c.StartAll();
  auto old_primary = c.WaitForHealthy(2, kStart);
  REQUIRE(old_primary);
  int candidate = (*old_primary + 1) % c.size();
  REQUIRE(c.Sql(*old_primary, "CREATE TABLE t (id int primary key)").ok());
  REQUIRE(c.Sql(*old_primary, "INSERT INTO t VALUES (1)").ok());
  auto [code, body] = c.Rest(*old_primary, "POST", "/switchover",
                             absl::StrCat("{\"leader\": \"", c.name(*old_primary),
                                          "\", \"candidate\": \"", c.name(candidate), "\"}"));
  INFO(body);
  CHECK(code == 200);
  CHECK(body == absl::StrCat("Successfully switched over to \"", c.name(candidate), "\""));
  REQUIRE(WaitFor([&] { return c.Primary() == candidate; }, absl::Seconds(60)));
  REQUIRE(c.Sql(candidate, "INSERT INTO t VALUES (2)").ok());
  REQUIRE(WaitFor([&] { return HasRow(c, *old_primary, 2); }, absl::Seconds(60)));
  CHECK(WaitFor(
      [&] {
        auto p = c.Patroni(*old_primary);
        return p && (*p)["role"] == "replica";
      },
      absl::Seconds(30)));
  auto upstream = c.Sql(*old_primary, "SELECT sender_port FROM pg_stat_wal_receiver");
  REQUIRE(upstream.ok());
  CHECK(*upstream == std::vector<std::string>{std::to_string(c.spec(candidate).pg_port)});
  // Nothing was lost on the way: the row written before the switchover is everywhere.
  CHECK(HasRow(c, candidate, 1));
}

TEST_CASE("synchronous mode: every acknowledged commit survives a failover") {
  RequireScenarioPrerequisites();
  ClusterOptions o;
  o.synchronous_mode = true;
  ClusterHarness c(o);
  c.StartAll();
  auto old_primary = c.WaitForHealthy(2, kStart);
  REQUIRE(old_primary);
  REQUIRE(c.Sql(*old_primary, "CREATE TABLE t (id int primary key)").ok());
  // Wait until a synchronous standby is confirmed in PostgreSQL and published in /sync: only
  // then may it be promoted (before that, nobody but the old leader may take over).
  REQUIRE(WaitFor(
      [&] {
        auto s = c.Sql(*old_primary,
                       "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'");
        auto [code, body] = c.Rest(*old_primary, "GET", "/cluster");
        return s.ok() && (*s)[0] == "1" && code == 200 &&
               body.find("\"sync_standby\"") != std::string::npos;
      },
      absl::Seconds(60)));
  std::mutex mu;
  std::set<int> acknowledged;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    int id = 0;
    while (!stop) {
      ++id;
      for (int i = 0; i < c.size(); ++i) {
        // Whoever accepts the write (the primary) acknowledges it only after the sync standby
        // has flushed it (synchronous_commit=on with synchronous_standby_names set by pgha).
        auto r =
            c.Sql(i, absl::StrCat("SET statement_timeout = '3s'; INSERT INTO t VALUES (", id, ")"));
        if (r.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged.insert(id);
          break;
        }
      }
    }
  });
  REQUIRE(WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return acknowledged.size() >= 50;
      },
      absl::Seconds(60)));
  c.KillDaemon(*old_primary);
  c.KillPostmaster(*old_primary);
  std::optional<int> new_primary;
  bool failed_over = WaitFor(
      [&] {
        new_primary = c.Primary();
        return new_primary && *new_primary != *old_primary;
      },
      absl::Seconds(60));
  size_t before_stop = 0;
  REQUIRE(WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        before_stop = acknowledged.size();
        return true;
      },
      absl::Seconds(1)));
  // Let the writer commit a little on the new primary too.
  WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return acknowledged.size() >= before_stop + 20;
      },
      absl::Seconds(30));
  stop = true;
  writer.join();
  REQUIRE(failed_over);
  std::set<int> ids;
  {
    std::lock_guard<std::mutex> lock(mu);
    ids = acknowledged;
  }
  auto missing = MissingIds(c, *new_primary, ids);
  REQUIRE(missing.ok());
  const std::vector<int>& lost = *missing;
  INFO(ids.size() << " acknowledged commits, " << lost.size() << " missing on the new primary");
  CHECK(lost.empty());
  WARN(ids.size() << " acknowledged commits checked after the failover");
}

// The upstream port of node i's WAL receiver, or 0.
int SenderPort(ClusterHarness& c, int i) {
  auto r = c.Sql(i, "SELECT sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'");
  return r.ok() && r->size() == 1 ? std::stoi((*r)[0]) : 0;
}

// No switchover or failover request is pending (a served one is left as "{}", as Patroni does).
bool NoFailoverRequest(ClusterHarness& c) {
  auto state = c.LoadDcs();
  return state.ok() && (*state)->PendingFailover() == nullptr;
}

void SetPause(ClusterHarness& c, int via, bool pause) {
  auto [code, body] = c.Rest(via, "PATCH", "/config", pause ? "{\"pause\": true}" : "{\"pause\": null}");
  INFO(body);
  REQUIRE(code == 200);
  for (int i = 0; i < c.size(); ++i) {
    REQUIRE(WaitFor(
        [&] {
          auto p = c.Patroni(i);
          return p && p->value("pause", false) == pause;
        },
        absl::Seconds(30)));
  }
}

TEST_CASE("pause: killing the primary's postmaster causes no failover") {
  RequireScenarioPrerequisites();
  ClusterHarness c;
  c.StartAll();
  auto primary = c.WaitForHealthy(2, kStart);
  REQUIRE(primary);
  SetPause(c, *primary, true);
  c.KillPostmaster(*primary);
  // For twice the TTL nobody is promoted and the lock stays where it was.
  bool promoted = WaitFor(
      [&] {
        for (int i = 0; i < c.size(); ++i) {
          if (i == *primary) continue;
          auto p = c.Patroni(i);
          if (p && p->value("role", "") == "master") return true;
        }
        return false;
      },
      absl::Seconds(20));
  CHECK_FALSE(promoted);
  for (int i = 0; i < c.size(); ++i) {
    if (i == *primary) continue;
    auto p = c.Patroni(i);
    REQUIRE(p);
    CHECK((*p)["role"] == "replica");
  }
  // And the stopped primary was not restarted behind the operator's back.
  CHECK_FALSE(c.Sql(*primary, "SELECT 1").ok());
}

TEST_CASE(
    "pause: a switchover and a failover to a named candidate are carried out at once, and "
    "nothing is left to fire after resume; a foreign slot survives pause and ignore_slots",
    "[postgres-feature]") {
  RequireScenarioPrerequisites();
  ClusterHarness c;
  c.StartAll();
  auto first = c.WaitForHealthy(2, kStart);
  REQUIRE(first);
  REQUIRE(c.Sql(*first, "CREATE TABLE t (id int primary key)").ok());
  REQUIRE(c.Sql(*first, "INSERT INTO t VALUES (1)").ok());
  SetPause(c, *first, true);

  int second = (*first + 1) % c.size();
  int third = (*first + 2) % c.size();
  auto [code, body] = c.Rest(*first, "POST", "/switchover",
                             absl::StrCat("{\"leader\": \"", c.name(*first), "\", \"candidate\": \"",
                                          c.name(second), "\"}"));
  INFO(body);
  CHECK(code == 200);
  REQUIRE(WaitFor([&] { return c.Primary() == second; }, absl::Seconds(60)));
  REQUIRE(c.Sql(second, "INSERT INTO t VALUES (2)").ok());
  // The old primary was started again as the candidate's replica, and the third node was
  // pointed at the new primary; the request is gone from the DCS.
  INFO(c.LogTail(*first) << c.LogTail(third));
  CHECK(WaitFor([&] { return HasRow(c, *first, 2) && SenderPort(c, *first) == c.spec(second).pg_port; },
                absl::Seconds(60)));
  CHECK(WaitFor([&] { return SenderPort(c, third) == c.spec(second).pg_port; }, absl::Seconds(60)));
  CHECK(WaitFor([&] { return NoFailoverRequest(c); }, absl::Seconds(30)));

  // A failover to a named candidate, still paused.
  auto [fcode, fbody] =
      c.Rest(second, "POST", "/failover", absl::StrCat("{\"candidate\": \"", c.name(third), "\"}"));
  INFO(fbody);
  CHECK(fcode == 200);
  REQUIRE(WaitFor([&] { return c.Primary() == third; }, absl::Seconds(60)));
  CHECK(WaitFor([&] { return NoFailoverRequest(c); }, absl::Seconds(30)));
  REQUIRE(c.Sql(third, "INSERT INTO t VALUES (3)").ok());
  CHECK(WaitFor([&] { return HasRow(c, second, 3) && HasRow(c, *first, 3); }, absl::Seconds(60)));

  // Resumed: no request waits to fire; for several loop_waits the primary stays where it is.
  SetPause(c, third, false);
  bool moved = WaitFor([&] { return c.Primary() != third; }, absl::Seconds(8));
  CHECK_FALSE(moved);
  auto count = c.Sql(third, "SELECT count(*) FROM t");
  REQUIRE(count.ok());
  CHECK((*count)[0] == "3");
  CHECK(c.WaitForHealthy(2, absl::Seconds(60)) == third);

  // A physical slot pgha does not manage (Barman's, pg_receivewal's) survives while paused and
  // while ignore_slots lists it; without either it is dropped.
  auto barman_gone = [&] {
    auto r = c.Sql(third, "SELECT 1 FROM pg_replication_slots WHERE slot_name = 'barman'");
    return r.ok() && r->empty();
  };
  SetPause(c, third, true);
  REQUIRE(c.Sql(third, "SELECT pg_create_physical_replication_slot('barman')").ok());
  CHECK_FALSE(WaitFor(barman_gone, absl::Seconds(5)));
  auto [icode, ibody] =
      c.Rest(third, "PATCH", "/config", "{\"ignore_slots\": [{\"name\": \"barman\", \"type\": \"physical\"}]}");
  INFO(ibody);
  REQUIRE(icode == 200);
  SetPause(c, third, false);
  CHECK_FALSE(WaitFor(barman_gone, absl::Seconds(5)));
  auto [ucode, ubody] = c.Rest(third, "PATCH", "/config", "{\"ignore_slots\": null}");
  INFO(ubody);
  REQUIRE(ucode == 200);
  CHECK(WaitFor(barman_gone, absl::Seconds(30)));
}

std::string SlotQuery(const std::string& slot, const std::string& column) {
  return absl::StrCat("SELECT ", column, " FROM pg_replication_slots WHERE slot_name = '", slot, "'");
}

TEST_CASE(
    "slots on replicas: a cascading replica streams through its own slot on its upstream; a "
    "permanent logical slot is copied to the replicas, advanced, and usable after a failover",
    "[postgres-feature]") {
  RequireScenarioPrerequisites();
  ClusterOptions o;
  o.extra_dynamic =
      "    slots:\n      cdc:\n        type: logical\n        database: postgres\n        plugin: test_decoding\n";
  o.customize = [](int i, NodeSpec& s) {
    s.wal_level = "logical";
    if (i == 2) s.tags_yaml = "  replicatefrom: pg2\n";
  };
  ClusterHarness c(o);
  // Node 0 bootstraps, so that pg3's upstream pg2 is a replica.
  c.StartNode(0);
  REQUIRE(WaitFor([&] { return c.Primary() == 0; }, kStart));
  c.StartNode(1);
  c.StartNode(2);
  auto healthy = c.WaitForHealthy(2, kStart);
  INFO(c.LogTail(0) << c.LogTail(1) << c.LogTail(2));
  REQUIRE(healthy == 0);

  // Cascading: pg3 streams from pg2 through the slot pg2 made for it; the primary has none.
  CHECK(WaitFor([&] { return SenderPort(c, 2) == c.spec(1).pg_port; }, absl::Seconds(60)));
  CHECK(WaitFor(
      [&] {
        auto r = c.Sql(1, SlotQuery("pg3", "active"));
        return r.ok() && *r == std::vector<std::string>{"t"};
      },
      absl::Seconds(60)));
  // (It may have made one while pg2 was not yet running, and drops it once pg2 runs.)
  CHECK(WaitFor(
      [&] {
        auto r = c.Sql(0, SlotQuery("pg3", "slot_name"));
        return r.ok() && r->empty();
      },
      absl::Seconds(30)));

  // The logical slot: created on the primary, consumed there, copied and advanced on both
  // replicas (which run with hot_standby_feedback, as the primary must keep catalog rows).
  REQUIRE(WaitFor([&] { return c.Sql(0, SlotQuery("cdc", "slot_name")).value_or(std::vector<std::string>{}).size() == 1; },
                  absl::Seconds(60)));
  REQUIRE(c.Sql(0, "CREATE TABLE t (id int primary key)").ok());
  // A replica copies the slot once its restart_lsn is within the WAL the replica has (the slot
  // was made before the replicas were cloned): a consumer moves it forward.
  int consumed_id = 1000;
  REQUIRE(WaitFor(
      [&] {
        bool ok = c.Sql(0, absl::StrCat("INSERT INTO t VALUES (", ++consumed_id, ")")).ok() &&
                  c.Sql(0, "SELECT data FROM pg_logical_slot_get_changes('cdc', NULL, NULL)").ok() &&
                  c.Sql(0, "CHECKPOINT").ok();
        for (int i : {1, 2}) {
          auto r = c.Sql(i, SlotQuery("cdc", "slot_name"));
          ok = ok && r.ok() && r->size() == 1;
        }
        return ok;
      },
      absl::Seconds(120), absl::Seconds(1)));
  // Consumed once more now that both replicas hold a copy: only advancing brings them there.
  REQUIRE(c.Sql(0, absl::StrCat("INSERT INTO t VALUES (", ++consumed_id, ")")).ok());
  REQUIRE(c.Sql(0, "SELECT data FROM pg_logical_slot_get_changes('cdc', NULL, NULL)").ok());
  auto primary_flush = c.Sql(0, SlotQuery("cdc", "confirmed_flush_lsn::text"));
  REQUIRE(primary_flush.ok());
  REQUIRE(primary_flush->size() == 1);
  for (int i : {1, 2}) {
    std::string seen;
    bool advanced = WaitFor(
        [&] {
          auto r = c.Sql(i, SlotQuery("cdc", "confirmed_flush_lsn::text"));
          seen = r.ok() ? absl::StrJoin(*r, ",") : std::string(r.status().message());
          auto ahead = c.Sql(i, SlotQuery("cdc", absl::StrCat("(confirmed_flush_lsn >= '", (*primary_flush)[0],
                                                               "')::text")));
          return ahead.ok() && *ahead == std::vector<std::string>{"true"};
        },
        absl::Seconds(90));
    auto state = c.LoadDcs();
    INFO("node " << i << ": confirmed_flush_lsn " << seen << ", primary " << (*primary_flush)[0] << ", /status "
                 << (state.ok() && (*state)->status.slots.count("cdc") ? FormatLsn((*state)->status.slots.at("cdc"))
                                                                      : std::string("-")));
    CHECK(advanced);
    auto feedback = c.Sql(i, "SHOW hot_standby_feedback");
    REQUIRE(feedback.ok());
    CHECK((*feedback)[0] == "on");
  }

  // A change after the consumed ones, then the primary dies: the new primary's copy of the
  // slot hands out exactly the unconsumed change.
  REQUIRE(c.Sql(0, "INSERT INTO t VALUES (2)").ok());
  for (int i : {1, 2}) REQUIRE(WaitFor([&] { return HasRow(c, i, 2); }, absl::Seconds(30)));
  c.KillDaemon(0);
  c.KillPostmaster(0);
  std::optional<int> promoted;
  REQUIRE(WaitFor(
      [&] {
        promoted = c.Primary();
        return promoted && *promoted != 0;
      },
      absl::Seconds(60)));
  auto changes = c.Sql(*promoted, "SELECT data FROM pg_logical_slot_get_changes('cdc', NULL, NULL)");
  INFO(c.LogTail(*promoted));
  REQUIRE(changes.ok());
  std::string all = absl::StrJoin(*changes, "\n");
  INFO(all);
  CHECK(absl::StrContains(all, "table public.t: INSERT: id[integer]:2"));
  CHECK_FALSE(absl::StrContains(all, "id[integer]:1"));  // none of the consumed 1001...
}

TEST_CASE("the primary loses the DCS: it stops accepting writes before the TTL ends") {
  RequireScenarioPrerequisites();
  ClusterHarness c;
  c.StartAll();
  auto primary = c.WaitForHealthy(2, kStart);
  REQUIRE(primary);
  c.dcs().Stop();
  absl::Time lost = absl::Now();
  // ttl 10: loop_wait + 2*retry_timeout = 7 s is when pgha must have stepped down.
  bool demoted = WaitFor([&] { return StoppedWriting(c, *primary); }, absl::Seconds(10),
                         absl::Milliseconds(100));
  WARN("primary stopped accepting writes " << absl::FormatDuration(absl::Now() - lost)
                                           << " after the DCS went away (ttl 10 s)");
  CHECK(demoted);
  c.dcs().Start();
  REQUIRE(c.WaitForHealthy(2, kStart));
}

TEST_CASE(
    "failsafe mode: the primary keeps writing through a DCS outage while every member confirms") {
  RequireScenarioPrerequisites();
  ClusterOptions options;
  options.extra_dynamic = "    failsafe_mode: true\n";
  ClusterHarness c(options);
  c.StartAll();
  auto primary = c.WaitForHealthy(2, kStart);
  REQUIRE(primary);
  // The leader publishes who must confirm: every member's REST API.
  REQUIRE(WaitFor(
      [&] {
        auto [code, body] = c.Rest(*primary, "GET", "/failsafe");
        return code == 200 && Json::parse(body, nullptr, false).size() == 3;
      },
      absl::Seconds(30)));
  REQUIRE(c.Sql(*primary, "CREATE TABLE f (id int)").ok());
  c.dcs().Stop();
  absl::Time lost = absl::Now();
  // Without failsafe it would step down within loop_wait + 2*retry_timeout (7 s) and the lease
  // ends at ttl (10 s); watch it for twice the ttl: every write must succeed.
  int writes = 0;
  bool always_writable = true;
  WaitFor(
      [&] {
        if (c.Sql(*primary, "INSERT INTO f VALUES (1)").ok()) {
          ++writes;
        } else {
          always_writable = false;
        }
        return !always_writable || absl::Now() - lost > absl::Seconds(20);
      },
      absl::Seconds(60), absl::Milliseconds(200));
  INFO(c.LogTail(*primary));
  CHECK(always_writable);
  CHECK(writes > 0);
  auto status = c.Patroni(*primary);
  REQUIRE(status);
  CHECK(status->value("failsafe_mode_is_active", false) == true);
  CHECK(status->value("role", "") == "master");
  // The other nodes stay replicas all along.
  for (int i = 0; i < c.size(); ++i) {
    if (i == *primary) continue;
    auto r = c.Sql(i, "SELECT pg_is_in_recovery()");
    CHECK((r.ok() && (*r)[0] == "t"));
  }

  // A member stops answering: the primary can no longer rule out a rival, and steps down.
  int replica = *primary == 0 ? 1 : 0;
  c.KillDaemon(replica);
  bool demoted = WaitFor([&] { return StoppedWriting(c, *primary); }, absl::Seconds(30),
                         absl::Milliseconds(100));
  CHECK(demoted);

  c.dcs().Start();
  c.StartNode(replica);
  auto again = c.WaitForHealthy(2, kStart);
  REQUIRE(again);
  auto rows = c.Sql(*again, "SELECT count(*) FROM f");
  REQUIRE(rows.ok());
  CHECK(std::stoi((*rows)[0]) == writes);  // every acknowledged write survived
}

}  // namespace
}  // namespace pgha::testing
