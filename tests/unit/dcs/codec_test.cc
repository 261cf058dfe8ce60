#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "pgha/dcs/codec.h"
#include "reference_dump.h"

namespace pgha::dcs {
namespace {

RawSnapshot SnapshotOf(const testing::DumpState& state) {
  RawSnapshot s;
  int64_t version = 1;
  for (const auto& [key, value] : state.keys) s.entries.push_back({key, value, version++, ""});
  return s;
}

TEST_CASE("every reference dump state decodes without errors, and re-encodes to Patroni's bytes") {
  auto states = testing::LoadReferenceDcsDump();
  REQUIRE(states.size() == 7);
  KeyLayout layout("/service/", "anchor");
  for (const auto& dump : states) {
    INFO(dump.title);
    ClusterState s = DecodeCluster(layout, SnapshotOf(dump));
    CHECK(s.decode_errors.empty());
    CHECK(s.members.size() == 3);
    REQUIRE(s.leader);
    for (const auto& m : s.members) {
      std::string patroni = dump.keys.at(layout.Member(m.name));
      CHECK(EncodeMember(m) == absl::StrReplaceAll(patroni, {{"\"master\"", "\"primary\""}}));
    }
    if (s.history) CHECK(EncodeHistory(s.history->entries) == dump.keys.at(layout.History()));
    if (dump.keys.count(layout.Sync())) CHECK(EncodeSync(*s.sync) == dump.keys.at(layout.Sync()));
    if (dump.keys.count(layout.Failsafe())) {
      REQUIRE(s.failsafe);
      CHECK(s.failsafe->size() == 3);
    }
    CHECK(EncodeStatus(s.status) == dump.keys.at(layout.Status()));
    if (s.failover && s.failover->empty()) CHECK(EncodeFailover(*s.failover) == "{}");
  }
}

TEST_CASE("paused and synchronous clusters are recognised from config") {
  auto states = testing::LoadReferenceDcsDump();
  KeyLayout layout("/service/", "anchor");
  CHECK(DecodeCluster(layout, SnapshotOf(states[3])).IsPaused());
  CHECK_FALSE(DecodeCluster(layout, SnapshotOf(states[2])).IsPaused());
  ClusterState sync = DecodeCluster(layout, SnapshotOf(states[4]));
  CHECK(sync.IsSynchronousMode());
  REQUIRE(sync.sync);
  CHECK(sync.sync->LeaderIs("PG1"));  // case-insensitive, as in Patroni
  CHECK(sync.sync->Contains("pg2"));
  CHECK_FALSE(sync.sync->Contains("pg3"));
}

TEST_CASE("lenient decoding: legacy forms are read, garbage is refused with a reason") {
  CHECK(DecodeStatus("12345")->optime == Lsn{12345});                        // Patroni < 2.1
  auto legacy = DecodeFailover("pg1:pg2");
  REQUIRE(legacy.ok());
  CHECK(legacy->leader == "pg1");
  CHECK(legacy->candidate == "pg2");
  CHECK(DecodeFailover("")->empty());
  auto old_member = DecodeMember("n", "postgres://10.0.0.1:5432/postgres?application_name=http://10.0.0.1:8008/patroni");
  REQUIRE(old_member.ok());
  CHECK(old_member->api_url == "http://10.0.0.1:8008/patroni");
  CHECK(old_member->Port() == 5432);
  for (const char* garbage : {"{", "[]", "42", "null", "{\"state\":\"running\"}"}) {
    INFO(garbage);
    CHECK_FALSE(DecodeMember("n", garbage).ok());
  }
  CHECK_FALSE(DecodeHistory("[[\"one\", 2]]").ok());
  CHECK_FALSE(DecodeHistory("{}").ok());
  CHECK_FALSE(DecodeSync("nope").ok());
  CHECK_FALSE(DecodeFailover("{\"leader\":\"a\",\"scheduled_at\":\"tomorrow\"}").ok());
}

TEST_CASE("sync_standby \"a, ,b,,\" names a and b, and re-encodes to what decodes the same") {
  auto sync = DecodeSync(R"({"leader":"pg1","sync_standby":"a, ,b,,"})");
  REQUIRE(sync.ok());
  CHECK(sync->sync_standby == std::vector<std::string>{"a", "b"});
  auto again = DecodeSync(EncodeSync(*sync));
  REQUIRE(again.ok());
  CHECK(again->sync_standby == sync->sync_standby);
}

TEST_CASE("the sync key of quorum commit: Patroni 4's layout, and a quorum that is not a count is refused") {
  dcs::SyncState s;
  s.leader = "pg1";
  s.sync_standby = {"pg2", "pg3"};
  s.quorum = 1;
  CHECK(EncodeSync(s) == R"({"leader":"pg1","quorum":1,"sync_standby":"pg2,pg3"})");
  auto read = DecodeSync(R"({"leader":"pg1","quorum":"2","sync_standby":"pg2,pg3"})");
  REQUIRE(read.ok());
  CHECK(read->quorum == 2);
  CHECK(DecodeSync(R"({"leader":"pg1","quorum":null,"sync_standby":null})")->quorum == std::nullopt);
  for (const char* bad : {R"({"leader":"pg1","quorum":"x"})", R"({"leader":"pg1","quorum":-1})",
                          R"({"leader":"pg1","quorum":1.5})", R"({"leader":"pg1","quorum":[]})"}) {
    INFO(bad);
    CHECK_FALSE(DecodeSync(bad).ok());
  }
  s.quorum.reset();  // synchronous_mode on: Patroni 3.0.2's layout
  CHECK(EncodeSync(s) == R"({"leader":"pg1","sync_standby":"pg2,pg3"})");
}

TEST_CASE("a member key whose pending_restart is not a boolean is read, not thrown on") {
  for (const char* value : {"\"yes\"", "1", "[true]", "{\"a\": 1}", "null"}) {
    INFO(value);
    std::string doc = absl::StrCat(R"({"conn_url": "postgres://127.0.0.1:5432/postgres", "pending_restart": )", value, "}");
    auto m = DecodeMember("n", doc);
    REQUIRE(m.ok());
    CHECK_FALSE(m->pending_restart);
  }
  CHECK(DecodeMember("n", R"({"conn_url": "postgres://127.0.0.1:5432/postgres", "pending_restart": true})")->pending_restart);
}

TEST_CASE("a deeply nested DCS value is refused before it is parsed") {
  std::string deep = absl::StrCat(R"({"conn_url": "postgres://127.0.0.1:5432/postgres", "tags": )",
                                  std::string(100000, '['), std::string(100000, ']'), "}");
  CHECK_FALSE(DecodeMember("n", deep).ok());
  CHECK_FALSE(DecodeHistory(std::string(5000, '[')).ok());
  // Brackets inside strings are text, not nesting.
  std::string in_string = absl::StrCat(R"({"conn_url": "postgres://127.0.0.1:5432/postgres", "state": ")",
                                       std::string(1000, '['), R"("})");
  CHECK(DecodeMember("n", in_string).ok());
  CHECK(ParseUntrustedJson(std::string(64, '[') + std::string(64, ']')).is_array());
  CHECK(ParseUntrustedJson(std::string(65, '[') + std::string(65, ']')).is_discarded());
}

TEST_CASE("a cluster with garbage keeps what it can, and says what it dropped") {
  KeyLayout layout("/service", "c");
  RawSnapshot snap;
  snap.entries = {
      {layout.Member("a"), R"({"conn_url":"postgres://h:5432/postgres","api_url":"http://h:8008/patroni","state":"running","role":"replica"})", 5, "abc"},
      {layout.Member("b"), "\xff\xfe garbage", 6, ""},
      {layout.Sync(), "[]", 7, ""},
      {layout.Leader(), "a", 8, "abc"},
      {"/service/other/leader", "x", 9, ""},  // another cluster's key: not ours
  };
  ClusterState s = DecodeCluster(layout, snap);
  CHECK(s.members.size() == 1);
  CHECK(s.members[0].session == "abc");
  CHECK(s.members[0].version == 5);
  CHECK(s.decode_errors.size() == 2);
  // The undecodable sync key reads as no synchronous state, but keeps its version so that the
  // primary can overwrite it by compare-and-set.
  REQUIRE(s.sync);
  CHECK(s.sync->leader.empty());
  CHECK(s.sync->sync_standby.empty());
  CHECK(s.sync->version == 7);
  CHECK(s.leader->name == "a");
  CHECK(s.leader->version == 8);
}

TEST_CASE("member tags drive failover and sync eligibility as Patroni reads them") {
  Member m;
  CHECK(m.FailoverPriority() == 1);
  m.tags = {{"nofailover", true}};
  CHECK(m.NoFailover());
  m.tags = {{"failover_priority", 0}};
  CHECK(m.NoFailover());
  m.tags = {{"failover_priority", 5}, {"nosync", "true"}, {"clonefrom", true}};
  CHECK(m.FailoverPriority() == 5);
  CHECK(m.NoSync());
  CHECK(m.CloneFrom());
  m.tags = {{"sync_priority", 0}};
  CHECK(m.NoSync());
}

TEST_CASE("timestamps: ISO 8601 with a zone, as Patroni writes and accepts them") {
  auto t = ParseTimestamp("2026-11-22T04:07:27+00:00");
  REQUIRE(t.ok());
  CHECK(FormatTimestamp(*t) == "2026-11-22T04:07:27+00:00");
  CHECK(FormatTimestamp(*t + absl::Microseconds(11036)) == "2026-11-22T04:07:27.011036+00:00");
  CHECK(ParseTimestamp("2026-11-22T03:06:40.011036+00:00").ok());
  CHECK(ParseTimestamp("2026-11-22T05:07:27+01:00").ok());
  CHECK(*ParseTimestamp("2026-11-22T05:07:27+01:00") == *t);
  CHECK(ParseTimestamp("2026-11-22T04:07:27Z").ok());
  CHECK_FALSE(ParseTimestamp("2026-11-22T04:07:27").ok());  // no zone: refused, as in Patroni
  CHECK_FALSE(ParseTimestamp("soon").ok());
}

TEST_CASE("key layout normalizes the namespace as Patroni does") {
  CHECK(KeyLayout("/service", "demo").prefix() == "/service/demo/");
  CHECK(KeyLayout("/service/", "demo").prefix() == "/service/demo/");
  CHECK(KeyLayout("db", "demo").Leader() == "/db/demo/leader");
  CHECK(KeyLayout("/pg_cluster/", "postgres").Member("node1") == "/pg_cluster/postgres/members/node1");
}

}  // namespace
}  // namespace pgha::dcs
