// The quorum commit state machine (libpgha/src/ha/quorum.h) as tables: named cases that say what
// each rule does, every case Patroni's own state machine was captured on
// (tests/fixtures/quorum_transitions.jsonl, tools/quorum_cases/generate.py), and the safety
// property checked on every intermediate state those sequences pass through.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pgha/base/json.h"
#include "quorum.h"

namespace pgha::ha {
namespace {

using Kind = QuorumTransition::Kind;

// "bcd" -> {"b", "c", "d"}: the cases use one-letter member names.
NameSet Names(const std::string& letters) {
  NameSet out;
  for (char ch : letters) out.Add(std::string(1, ch));
  return out;
}

std::string Letters(const std::vector<std::string>& names) { return absl::StrJoin(names, ""); }

QuorumTransition T(Kind kind, int num, const std::string& names, const std::string& leader = "a") {
  QuorumTransition t;
  t.kind = kind;
  t.leader = leader;
  t.num = num;
  for (char ch : names) t.names.push_back(std::string(1, ch));
  return t;
}

std::string Show(const std::vector<QuorumTransition>& ts) {
  std::vector<std::string> out;
  for (const auto& t : ts) {
    const char* k = t.kind == Kind::kSync ? "sync" : t.kind == Kind::kQuorum ? "quorum" : "restart";
    out.push_back(absl::StrCat(k, "(", t.leader, " ", t.num, " ", Letters(t.names), ")"));
  }
  return absl::StrJoin(out, ", ");
}

QuorumInputs In(int quorum, const std::string& voters, int numsync, const std::string& sync, int confirmed,
                const std::string& active, int wanted, const std::string& leader_wanted = "a") {
  QuorumInputs in;
  in.leader = "a";
  in.quorum = quorum;
  in.voters = Names(voters);
  in.numsync = numsync;
  in.sync = Names(sync);
  in.numsync_confirmed = confirmed;
  in.active = Names(active);
  in.sync_wanted = wanted;
  in.leader_wanted = leader_wanted;
  return in;
}

struct NamedCase {
  const char* what;
  QuorumInputs in;
  std::vector<QuorumTransition> expected;
};

TEST_CASE("quorum state machine: named transitions", "[quorum]") {
  const NamedCase cases[] = {
      {"the first standby: listed in synchronous_standby_names first, then look again",
       In(0, "", 0, "", 0, "b", 2), {T(Kind::kSync, 1, "b"), T(Kind::kRestart, 0, "")}},
      {"once it caught up it becomes a voter, quorum 0 (it alone acknowledges)",
       In(0, "", 1, "b", 1, "b", 2), {T(Kind::kQuorum, 0, "b")}},
      {"four standbys at once with synchronous_node_count 2",
       In(0, "", 0, "", 0, "bcde", 2), {T(Kind::kSync, 2, "bcde"), T(Kind::kRestart, 0, "")}},
      {"only one of them caught up: the quorum counts the other as missing",
       In(0, "", 2, "bcde", 1, "bcde", 2), {T(Kind::kQuorum, 3, "bcde")}},
      {"a standby joins a steady state: voters grow (quorum up) before sync does",
       In(0, "b", 1, "b", 1, "bc", 1), {T(Kind::kQuorum, 1, "bc"), T(Kind::kSync, 1, "bc")}},
      {"a standby leaves: sync shrinks first, then the quorum comes down",
       In(1, "bc", 1, "bc", 1, "b", 1), {T(Kind::kSync, 1, "b"), T(Kind::kQuorum, 0, "b")}},
      {"every standby gone: the voters go before synchronous_standby_names empties",
       In(0, "b", 1, "b", 1, "", 1), {T(Kind::kQuorum, 0, ""), T(Kind::kSync, 0, "")}},
      {"synchronous_node_count 1 -> 2: numsync rises before the quorum falls",
       In(1, "bc", 1, "bc", 2, "bc", 2), {T(Kind::kSync, 2, "bc"), T(Kind::kQuorum, 0, "bc")}},
      {"synchronous_node_count 2 -> 1: the quorum rises before numsync falls",
       In(0, "bc", 2, "bc", 2, "bc", 1), {T(Kind::kQuorum, 1, "bc"), T(Kind::kSync, 1, "bc")}},
      {"after a failover the new primary takes the key, the old leader becoming a voter",
       In(1, "bc", 1, "bc", 0, "", 1, "b"), {T(Kind::kQuorum, 1, "ac", "b")}},
      {"a steady state needs nothing", In(1, "bc", 1, "bc", 2, "bc", 1), {}},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto got = ResolveQuorum(c.in);
    REQUIRE(got.ok());
    CHECK(Show(*got) == Show(c.expected));
  }
}

TEST_CASE("quorum state machine: a state that cannot be moved safely is left alone", "[quorum]") {
  // A quorum of 2 out of 3 voters with ANY 0: the invariant cannot be restored by raising it.
  auto got = ResolveQuorum(In(2, "bde", 0, "bde", 0, "bde", 2));
  CHECK(got.status().code() == absl::StatusCode::kFailedPrecondition);
}

// The invariant each intermediate state must keep (quorum.h), computed here independently of
// the resolver: an acknowledging set and an electing set always overlap.
bool Overlaps(const std::string& leader, int quorum, const NameSet& voters, int numsync, const NameSet& sync,
              const std::string& leader_wanted) {
  if (voters.empty()) return true;
  NameSet all = voters | sync | NameSet{leader} | NameSet{leader_wanted};
  return static_cast<int>(all.size()) <= quorum + std::min<int>(numsync, sync.size()) + 1;
}

TEST_CASE("quorum state machine: the same transitions as Patroni's on every captured case", "[quorum]") {
  const char* override_path = std::getenv("PGHA_QUORUM_CASES");  // e.g. a larger capture
  std::string path = override_path != nullptr ? override_path
                                              : std::string(PGHA_FIXTURES_DIR) + "/quorum_transitions.jsonl";
  std::ifstream file(path);
  REQUIRE(file.good());
  std::string line;
  int cases = 0, errors = 0, mismatches = 0, unsafe = 0;
  std::vector<std::string> first;
  while (std::getline(file, line)) {
    if (line.empty()) continue;
    Json c = Json::parse(line);
    QuorumInputs in;
    in.leader = c[0].get<std::string>();
    in.quorum = c[1].get<int>();
    in.voters = Names(c[2].get<std::string>());
    in.numsync = c[3].get<int>();
    in.sync = Names(c[4].get<std::string>());
    in.numsync_confirmed = c[5].get<int>();
    in.active = Names(c[6].get<std::string>());
    in.sync_wanted = c[7].get<int>();
    in.leader_wanted = c[8].get<std::string>();
    ++cases;
    auto got = ResolveQuorum(in);
    std::string want_text, got_text = got.ok() ? Show(*got) : "error";
    if (c[9].is_string()) {
      ++errors;
      want_text = "error";
    } else {
      std::vector<QuorumTransition> want;
      for (const auto& t : c[9]) {
        std::string k = t[0].get<std::string>();
        want.push_back(T(k == "sync" ? Kind::kSync : k == "quorum" ? Kind::kQuorum : Kind::kRestart,
                         t[2].get<int>(), t[3].get<std::string>(), t[1].get<std::string>()));
      }
      want_text = Show(want);
    }
    if (want_text != got_text) {
      ++mismatches;
      if (first.size() < 10) first.push_back(absl::StrCat(line, "\n    pgha: ", got_text));
    }
    if (!got.ok()) continue;
    // Walk the sequence from a state that keeps the invariant: every step must keep it too.
    std::string leader = in.leader;
    int quorum = in.quorum, numsync = std::min<int>(in.numsync, in.sync.size());
    NameSet voters = in.voters, sync = in.sync;
    if (!Overlaps(leader, quorum, voters, numsync, sync, in.leader_wanted)) continue;
    for (const auto& t : *got) {
      if (t.kind == Kind::kRestart) break;
      if (t.kind == Kind::kSync) {
        numsync = t.num;
        sync = NameSet(t.names);
      } else {
        leader = t.leader;
        quorum = t.num;
        voters = NameSet(t.names);
      }
      if (!Overlaps(leader, quorum, voters, numsync, sync, in.leader_wanted)) {
        ++unsafe;
        if (first.size() < 10) first.push_back(absl::StrCat("unsafe step in ", line, ": ", Show(*got)));
        break;
      }
    }
  }
  INFO(absl::StrCat(cases, " cases (", errors, " where Patroni refuses), first differences:\n",
                    absl::StrJoin(first, "\n")));
  CHECK(cases >= 4000);
  CHECK(errors > 0);  // the capture covers refused states too
  CHECK(mismatches == 0);
  CHECK(unsafe == 0);
}

TEST_CASE("quorum: synchronous_standby_names written and read", "[quorum]") {
  CHECK(QuorumStandbyNames({"c", "b"}, 1) == "ANY 1 (b,c)");
  CHECK(QuorumStandbyNames({"node-1", "any", "Ok_1$"}, 2) == "ANY 2 (Ok_1$,\"any\",\"node-1\")");
  CHECK(QuorumStandbyNames({}, 0) == "");
  CHECK(QuorumStandbyNames({"b"}, 0) == "");  // PostgreSQL refuses ANY 0
  CHECK(QuorumStandbyNames({}, 1) == "ANY 1 (__patroni_strict_sync_replica_placeholder__)");

  StandbyNames any = ParseStandbyNames("ANY 2 (b, \"c\"\"x\", D)");
  CHECK(any.type == StandbyNames::Type::kQuorum);
  CHECK(any.num == 2);
  CHECK(any.names == NameSet({"b", "c\"x", "d"}));
  StandbyNames first = ParseStandbyNames("FIRST 1 (b,c)");
  CHECK(first.type == StandbyNames::Type::kPriority);
  CHECK(first.num == 1);
  StandbyNames bare = ParseStandbyNames("\"b\"");
  CHECK(bare.type == StandbyNames::Type::kPriority);
  CHECK(bare.num == 1);
  CHECK(bare.names == NameSet({"b"}));
  CHECK(ParseStandbyNames("2 (b,c)").num == 2);
  CHECK(ParseStandbyNames("*").has_star);
  CHECK(ParseStandbyNames("ANY 1 (__patroni_strict_sync_replica_placeholder__)").names.empty());
  CHECK(ParseStandbyNames("").type == StandbyNames::Type::kOff);
  for (const char* bad : {"1", "a,", "ANY 4(\"a\" b,\"c c\")", "FIRST 4(\"a\",)", "2 (,)", "ANY (b)"}) {
    INFO(bad);
    StandbyNames p = ParseStandbyNames(bad);
    CHECK(p.type == StandbyNames::Type::kOff);
    CHECK(p.names.empty());
  }
}

}  // namespace
}  // namespace pgha::ha
