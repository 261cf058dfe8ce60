// Values: garbage is reported and ignored; Patroni's own keys load; pgha writes Patroni's bytes.
#include <catch2/catch.hpp>

#include "absl/strings/str_replace.h"
#include "harness.h"
#include "pgha/dcs/codec.h"
#include "reference_dump.h"

namespace pgha::conformance {
namespace {

// Writes a dump state's keys under `scope` instead of the dump's /service/anchor/.
void WriteDump(dcs::DcsBackend& raw, const testing::DumpState& state, const std::string& scope) {
  for (const auto& [key, value] : state.keys) {
    std::string target = absl::StrReplaceAll(key, {{"/service/anchor/", "/service/" + scope + "/"}});
    auto binding = (key.find("/leader") != std::string::npos || key.find("/members/") != std::string::npos)
                       ? dcs::Binding::kSession
                       : dcs::Binding::kPersistent;
    REQUIRE(raw.Put(target, value, binding).ok());
  }
}

const testing::DumpState& State(int n) {
  static const auto* states = new std::vector<testing::DumpState>(testing::LoadReferenceDcsDump());
  REQUIRE(states->size() >= static_cast<size_t>(n));
  return (*states)[n - 1];
}

TEST_CASE("garbage under a member key or in config is reported, the rest is intact") {
  auto server = StartDcsServer();
  const std::string scope = UniqueScope();
  auto raw = server->NewBackend(absl::Seconds(10), absl::Seconds(3));
  dcs::KeyLayout layout("/service", scope);
  REQUIRE(raw->Put(layout.Member("bad"), "{not json", dcs::Binding::kPersistent).ok());
  REQUIRE(raw->Put(layout.Member("worse"), "[1,2,3]", dcs::Binding::kPersistent).ok());
  REQUIRE(raw->Put(layout.Config(), "{\"ttl\": 30", dcs::Binding::kPersistent).ok());
  REQUIRE(raw->Put(layout.History(), "[[\"x\"]]", dcs::Binding::kPersistent).ok());
  REQUIRE(raw->Put(layout.Member("good"),
                   R"({"conn_url":"postgres://127.0.0.1:5432/postgres","api_url":"http://127.0.0.1:8008/patroni","state":"running","role":"master","version":"3.0.2","xlog_location":100,"timeline":2})",
                   dcs::Binding::kPersistent).ok());
  REQUIRE(raw->Put(layout.Leader(), "good", dcs::Binding::kPersistent).ok());

  dcs::Dcs d(server->NewBackend(absl::Seconds(10), absl::Seconds(3)), layout);
  auto state = d.Load();
  REQUIRE(state.ok());
  const dcs::ClusterState& s = **state;
  CHECK(s.decode_errors.size() == 4);
  REQUIRE(s.members.size() == 1);
  CHECK(s.members[0].name == "good");
  CHECK(s.members[0].role == "primary");
  CHECK(s.members[0].xlog_location == Lsn{100});
  REQUIRE(s.leader);
  CHECK(s.leader->name == "good");
  REQUIRE(s.config);                  // present, unusable, but replaceable by CAS
  CHECK(s.config->data.empty());
  CHECK_FALSE(s.history);
  REQUIRE(d.WriteConfig({{"ttl", 30}}, s.config->version).ok());
  auto fixed = d.Load();
  REQUIRE(fixed.ok());
  CHECK((*fixed)->config->data["ttl"] == Json(30));
}

TEST_CASE("a Patroni 3.0.2 cluster written into the DCS by hand loads into a correct state") {
  auto server = StartDcsServer();
  const std::string scope = UniqueScope();
  auto raw = server->NewBackend(absl::Seconds(30), absl::Seconds(3));
  WriteDump(*raw, State(3), scope);  // after switchovers, with a scheduled switchover pending
  dcs::Dcs d(server->NewBackend(absl::Seconds(10), absl::Seconds(3)), dcs::KeyLayout("/service/", scope));
  auto loaded = d.Load();
  REQUIRE(loaded.ok());
  const dcs::ClusterState& s = **loaded;
  CHECK(s.decode_errors.empty());
  CHECK(s.initialize == std::optional<std::string>("7710826820256107124"));
  REQUIRE(s.leader);
  CHECK(s.leader->name == "pg1");
  CHECK_FALSE(s.leader->session.empty());
  REQUIRE(s.members.size() == 3);
  const dcs::Member* pg1 = s.FindMember("pg1");
  REQUIRE(pg1);
  CHECK(pg1->role == "primary");
  CHECK(pg1->state == "running");
  CHECK(pg1->xlog_location == Lsn{67289048});
  CHECK(pg1->timeline == 3);
  CHECK(pg1->Host() == "127.0.0.1");
  CHECK(pg1->Port() == 25432);
  CHECK(s.FindMember("pg2")->role == "replica");
  CHECK(s.LeaderMember() == pg1);
  REQUIRE(s.config);
  CHECK(s.config->data["ttl"] == Json(30));
  CHECK(s.config->data["postgresql"]["use_pg_rewind"] == Json(true));
  REQUIRE(s.history);
  REQUIRE(s.history->entries.size() == 2);
  CHECK(s.history->entries[1].timeline == 2);
  CHECK(s.history->entries[1].lsn == 67286960);
  CHECK(s.history->entries[1].new_leader == "pg1");
  CHECK(s.Timeline() == 3);
  CHECK(s.status.optime == Lsn{67289048});
  const dcs::FailoverRequest* f = s.PendingFailover();
  REQUIRE(f);
  CHECK(f->leader == "pg1");
  CHECK(f->candidate == "pg2");
  REQUIRE(f->scheduled_at);
  CHECK(dcs::FormatTimestamp(*f->scheduled_at) == "2026-11-22T04:07:27+00:00");
  CHECK_FALSE(s.IsPaused());
}

TEST_CASE("values pgha writes are the bytes Patroni writes") {
  auto server = StartDcsServer();
  const std::string scope = UniqueScope();
  const testing::DumpState& dump = State(5);  // synchronous mode: has /sync
  auto raw = server->NewBackend(absl::Seconds(30), absl::Seconds(3));
  WriteDump(*raw, dump, scope);
  dcs::KeyLayout layout("/service", scope);
  dcs::Dcs d(server->NewBackend(absl::Seconds(10), absl::Seconds(3)), layout);
  auto loaded = d.Load();
  REQUIRE(loaded.ok());
  const dcs::ClusterState& s = **loaded;
  // Write every decoded value back through the facade...
  REQUIRE(d.WriteHistory(s.history->entries, s.history->version).ok());
  REQUIRE(d.WriteStatus(s.status, s.status.version).ok());
  REQUIRE(d.WriteSync(*s.sync, s.sync->version).ok());
  REQUIRE(d.ClearFailover(s.failover->version).ok());
  dcs::Member pg2 = *s.FindMember("pg2");
  REQUIRE(d.WriteMember(pg2).ok());
  // ...and compare the bytes in the store with Patroni's.
  auto after = raw->Load(layout.prefix(), dcs::ReadMode::kLinearizable);
  REQUIRE(after.ok());
  std::map<std::string, std::string> stored;
  for (const auto& e : after->entries) stored[e.key.substr(layout.prefix().size())] = e.value;
  auto patroni = [&](const std::string& key) { return dump.keys.at("/service/anchor/" + key); };
  CHECK(stored["history"] == patroni("history"));
  CHECK(stored["status"] == patroni("status"));
  CHECK(stored["sync"] == patroni("sync"));
  CHECK(stored["failover"] == patroni("failover"));
  CHECK(stored["members/pg2"] == patroni("members/pg2"));
  // The primary's member key differs only in the role name (Patroni 4 writes "primary").
  CHECK(dcs::EncodeMember(*s.FindMember("pg1")) ==
        absl::StrReplaceAll(patroni("members/pg1"), {{"\"master\"", "\"primary\""}}));
}

}  // namespace
}  // namespace pgha::conformance
