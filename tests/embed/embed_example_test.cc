// The embedding examples, built out of tree against the installed package (tests/install), on a
// real cluster: primary_writer keeps writing through a switchover and a kill -9 failover, loses
// no acknowledged write and ends on the new primary; follow_cluster (built with pkg-config)
// prints the primary.
//
// The example directory comes from PGHA_EMBED_EXAMPLES (ctest sets it; the install_examples
// fixture builds it).
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/numbers.h"
#include "cluster_harness.h"
#include "wait.h"

namespace pgha::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::set<std::string> Lines(const std::string& text) {
  std::set<std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    out.insert(std::string(line));
  }
  return out;
}

std::string ExampleDir() {
  const char* dir = std::getenv("PGHA_EMBED_EXAMPLES");
  if (dir == nullptr || *dir == '\0') SkipBinary("PGHA_EMBED_EXAMPLES is not set (run through ctest)");
  return dir;
}

// The milliseconds in the last "writes resumed on <name> after N ms" line for `name`, if any.
std::optional<int64_t> ResumedOn(const std::string& log, const std::string& name) {
  const std::string prefix = absl::StrCat("writes resumed on ", name, " after ");
  size_t at = log.rfind(prefix);
  if (at == std::string::npos) return std::nullopt;
  int64_t ms = 0;
  std::string rest = log.substr(at + prefix.size());
  if (!absl::SimpleAtoi(rest.substr(0, rest.find(' ')), &ms)) return std::nullopt;
  return ms;
}

TEST_CASE("primary_writer (find_package build) follows a switchover and a kill -9 failover") {
  RequireScenarioPrerequisites();
  const std::string examples = ExampleDir();
  ClusterOptions options;
  options.scope = "embed";
  // Synchronous mode: a kill -9 of the primary must not lose what it acknowledged.
  options.synchronous_mode = true;
  ClusterHarness cluster(options);
  cluster.StartAll();
  std::optional<int> first = cluster.WaitForHealthy(2, absl::Minutes(3));
  REQUIRE(first.has_value());

  TempDir dir("pgha-embed");
  const std::string acks = dir.path() + "/acks";
  const std::string log = dir.path() + "/primary_writer.log";
  ServerProcess writer({"/usr/bin/env", "PGUSER=postgres", "PGPASSWORD=super secret",
                        "PGDATABASE=postgres", examples + "/cmake-build/primary_writer",
                        cluster.config_path(0), acks, "50"},
                       log);
  REQUIRE(writer.Start());
  auto acked = [&] { return Lines(ReadFile(acks)).size(); };
  REQUIRE(WaitFor([&] { return acked() >= 20; }, absl::Minutes(1)));
  CHECK(ReadFile(log).find(absl::StrCat("connected to ", cluster.name(*first))) != std::string::npos);

  // Switchover to the synchronous standby (in synchronous mode the only allowed candidate).
  int target = -1;
  REQUIRE(WaitFor([&] {
    auto state = cluster.LoadDcs();
    if (!state.ok() || !(*state)->sync || (*state)->sync->sync_standby.empty()) return false;
    target = cluster.IndexOf((*state)->sync->sync_standby[0]);
    return target >= 0 && target != *first;
  }, absl::Minutes(1)));
  // The daemon answers from its last cycle's snapshot, which may not show the sync key yet.
  std::pair<int, std::string> answer;
  const std::string request = absl::StrCat(R"({"leader": ")", cluster.name(*first),
                                           R"(", "candidate": ")", cluster.name(target), R"("})");
  bool accepted = WaitFor([&] {
    answer = cluster.Rest(*first, "POST", "/switchover", request);
    return answer.first == 200;
  }, absl::Minutes(1), absl::Milliseconds(500));
  INFO("POST /switchover: " << answer.first << " " << answer.second);
  REQUIRE(accepted);
  REQUIRE(WaitFor([&] { return ResumedOn(ReadFile(log), cluster.name(target)).has_value(); },
                  absl::Minutes(2)));
  const int64_t switchover_ms = *ResumedOn(ReadFile(log), cluster.name(target));
  size_t before_kill = acked();
  REQUIRE(WaitFor([&] { return acked() >= before_kill + 20; }, absl::Minutes(1)));
  REQUIRE(cluster.WaitForHealthy(2, absl::Minutes(3)).has_value());
  // The new primary has named its synchronous standby (before that nobody may take over).
  REQUIRE(WaitFor([&] {
    auto state = cluster.LoadDcs();
    return state.ok() && (*state)->sync && (*state)->sync->LeaderIs(cluster.name(target)) &&
           !(*state)->sync->sync_standby.empty();
  }, absl::Minutes(1)));

  // kill -9 of the new primary's daemon and postmaster.
  cluster.KillDaemon(target);
  cluster.KillPostmaster(target);
  std::optional<int> after;
  REQUIRE(WaitFor([&] {
    after = cluster.Primary();
    return after && *after != target && ResumedOn(ReadFile(log), cluster.name(*after)).has_value();
  }, absl::Minutes(2), absl::Milliseconds(200)));
  const int64_t failover_ms = *ResumedOn(ReadFile(log), cluster.name(*after));
  size_t before_stop = acked();
  REQUIRE(WaitFor([&] { return acked() >= before_stop + 20; }, absl::Minutes(1)));

  writer.Stop();
  const std::string output = ReadFile(log);
  CHECK(output.find("acknowledged ") != std::string::npos);
  // Every acknowledged id is on the final primary.
  std::set<std::string> acknowledged = Lines(ReadFile(acks));
  auto rows = cluster.Sql(*after, "SELECT id FROM primary_writer");
  REQUIRE(rows.ok());
  std::set<std::string> stored(rows->begin(), rows->end());
  std::vector<std::string> lost;
  for (const std::string& id : acknowledged) {
    if (!stored.count(id)) lost.push_back(id);
  }
  CHECK(lost.empty());
  CHECK(acknowledged.size() >= 60);
  WARN("primary_writer: writes resumed " << switchover_ms << " ms after a switchover and "
       << failover_ms << " ms after a kill -9 failover (ttl " << options.ttl << " s); "
       << acknowledged.size() << " acknowledged writes, " << lost.size() << " lost");
  std::cout << "figure: embed switchover_resume_ms=" << switchover_ms
            << " kill9_resume_ms=" << failover_ms << " acknowledged=" << acknowledged.size()
            << " lost=" << lost.size() << std::endl;
}

TEST_CASE("follow_cluster (pkg-config build) prints the primary from the DCS") {
  RequireScenarioPrerequisites();
  const std::string examples = ExampleDir();
  ClusterOptions options;
  options.scope = "follow";
  options.nodes = 2;
  ClusterHarness cluster(options);
  cluster.StartAll();
  std::optional<int> primary = cluster.WaitForHealthy(1, absl::Minutes(3));
  REQUIRE(primary.has_value());
  TempDir dir("pgha-follow");
  const std::string log = dir.path() + "/follow_cluster.log";
  ServerProcess follower({examples + "/pkgconfig-build/follow_cluster", cluster.config_path(1)}, log);
  REQUIRE(follower.Start());
  const std::string expected = absl::StrCat("  primary ", cluster.name(*primary), " 127.0.0.1:",
                                            cluster.spec(*primary).pg_port);
  CHECK(WaitFor([&] { return ReadFile(log).find(expected) != std::string::npos; }, absl::Minutes(1)));
  // A member leaving is a new view (the watch, not a poll, wakes it).
  const int replica = 1 - *primary;
  cluster.TermDaemon(replica);
  CHECK(WaitFor([&] {
    std::string text = ReadFile(log);
    size_t last = text.rfind("cluster follow");
    return last != std::string::npos &&
           text.find(absl::StrCat("replica ", cluster.name(replica)), last) == std::string::npos;
  }, absl::Minutes(1)));
  follower.Stop();
}

}  // namespace
}  // namespace pgha::testing
