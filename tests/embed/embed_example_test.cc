// The embedding examples, built out of tree against the installed package (tests/install), on a
// real cluster: primary_writer keeps writing through a switchover and a kill -9 failover, loses
// no acknowledged write and ends on the new primary; follow_cluster (built with pkg-config)
// prints the primary.
//
// The example directory comes from PGHA_EMBED_EXAMPLES (ctest sets it; the install_examples
// fixture builds it).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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
  if (dir == nullptr || *dir == '\0')
    SkipBinary("PGHA_EMBED_EXAMPLES is not set (run through ctest)");
  return dir;
}

// The milliseconds in the first "writes resumed on <name> after N ms" line for `name` at or
// after byte `from` of the log, if any.
std::optional<int64_t> ResumedOn(const std::string& log, const std::string& name, size_t from) {
  const std::string prefix = absl::StrCat("writes resumed on ", name, " after ");
  size_t at = from <= log.size() ? log.find(prefix, from) : std::string::npos;
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
  ServerProcess writer(
      {"/usr/bin/env", "PGUSER=postgres", "PGPASSWORD=super secret", "PGDATABASE=postgres",
       examples + "/cmake-build/primary_writer", cluster.config_path(0), acks, "50"},
      log);
  REQUIRE(writer.Start());
  auto acked = [&] { return Lines(ReadFile(acks)).size(); };
  REQUIRE(WaitFor([&] { return acked() >= 20; }, absl::Minutes(1)));
  CHECK(ReadFile(log).find(absl::StrCat("connected to ", cluster.name(*first))) !=
        std::string::npos);

  // Each trial: a switchover to the synchronous standby, then kill -9 of the new primary (its
  // daemon and postmaster), then the killed node back. PGHA_EMBED_TRIALS sets how many (the
  // closing figures of docs/embedding.md); CI runs one.
  const int trials = std::max(
      1, std::atoi(std::getenv("PGHA_EMBED_TRIALS") != nullptr ? std::getenv("PGHA_EMBED_TRIALS")
                                                               : "1"));
  std::vector<int64_t> switchover_ms, failover_ms;
  int primary = *first;
  for (int trial = 1; trial <= trials; ++trial) {
    INFO("trial " << trial);
    // In synchronous mode the only allowed candidate is the synchronous standby, once the
    // primary has named one (before that nobody may take over either).
    int target = -1;
    REQUIRE(WaitFor(
        [&] {
          auto state = cluster.LoadDcs();
          if (!state.ok() || !(*state)->sync || !(*state)->sync->LeaderIs(cluster.name(primary)) ||
              (*state)->sync->sync_standby.empty()) {
            return false;
          }
          target = cluster.IndexOf((*state)->sync->sync_standby[0]);
          return target >= 0 && target != primary;
        },
        absl::Minutes(1)));
    // The daemon answers from its last cycle's snapshot, which may not show the sync key yet.
    std::pair<int, std::string> answer;
    const std::string request = absl::StrCat(R"({"leader": ")", cluster.name(primary),
                                             R"(", "candidate": ")", cluster.name(target), R"("})");
    const size_t log_before_switchover = ReadFile(log).size();
    bool accepted = WaitFor(
        [&] {
          answer = cluster.Rest(primary, "POST", "/switchover", request);
          return answer.first == 200;
        },
        absl::Minutes(1), absl::Milliseconds(500));
    INFO("POST /switchover: " << answer.first << " " << answer.second);
    REQUIRE(accepted);
    auto resumed_on_target = [&] {
      return ResumedOn(ReadFile(log), cluster.name(target), log_before_switchover);
    };
    REQUIRE(WaitFor([&] { return resumed_on_target().has_value(); }, absl::Minutes(2)));
    switchover_ms.push_back(*resumed_on_target());
    size_t before_kill = acked();
    REQUIRE(WaitFor([&] { return acked() >= before_kill + 20; }, absl::Minutes(1)));
    REQUIRE(cluster.WaitForHealthy(2, absl::Minutes(3)).has_value());
    REQUIRE(WaitFor(
        [&] {
          auto state = cluster.LoadDcs();
          return state.ok() && (*state)->sync && (*state)->sync->LeaderIs(cluster.name(target)) &&
                 !(*state)->sync->sync_standby.empty();
        },
        absl::Minutes(1)));

    // kill -9. Only what the example prints from now on counts (the next primary may be one it
    // wrote to before).
    const size_t log_before_kill = ReadFile(log).size();
    cluster.KillDaemon(target);
    cluster.KillPostmaster(target);
    std::optional<int> after;
    REQUIRE(WaitFor(
        [&] {
          after = cluster.Primary();
          return after && *after != target &&
                 ResumedOn(ReadFile(log), cluster.name(*after), log_before_kill).has_value();
        },
        absl::Minutes(2), absl::Milliseconds(200)));
    failover_ms.push_back(*ResumedOn(ReadFile(log), cluster.name(*after), log_before_kill));
    size_t before_restart = acked();
    REQUIRE(WaitFor([&] { return acked() >= before_restart + 20; }, absl::Minutes(1)));
    primary = *after;
    cluster.StartNode(target);
    REQUIRE(cluster.WaitForHealthy(2, absl::Minutes(3)).has_value());
    std::cout << "figure: embed trial " << trial << " switchover_resume_ms=" << switchover_ms.back()
              << " kill9_resume_ms=" << failover_ms.back() << std::endl;
  }

  writer.Stop();
  const std::string output = ReadFile(log);
  CHECK(output.find("acknowledged ") != std::string::npos);
  // Every acknowledged id is on the final primary.
  std::set<std::string> acknowledged = Lines(ReadFile(acks));
  auto rows = cluster.Sql(primary, "SELECT id FROM primary_writer");
  REQUIRE(rows.ok());
  std::set<std::string> stored(rows->begin(), rows->end());
  std::vector<std::string> lost;
  for (const std::string& id : acknowledged) {
    if (!stored.count(id)) lost.push_back(id);
  }
  CHECK(lost.empty());
  CHECK(acknowledged.size() >= 60u * trials);
  auto median = [](std::vector<int64_t> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto worst = [](const std::vector<int64_t>& v) { return *std::max_element(v.begin(), v.end()); };
  std::cout << "figure: embed trials=" << trials << " switchover_resume_ms median "
            << median(switchover_ms) << " worst " << worst(switchover_ms)
            << "; kill9_resume_ms median " << median(failover_ms) << " worst " << worst(failover_ms)
            << " (ttl " << options.ttl << " s); acknowledged=" << acknowledged.size()
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
  ServerProcess follower({examples + "/pkgconfig-build/follow_cluster", cluster.config_path(1)},
                         log);
  REQUIRE(follower.Start());
  const std::string expected = absl::StrCat("  primary ", cluster.name(*primary),
                                            " 127.0.0.1:", cluster.spec(*primary).pg_port);
  CHECK(
      WaitFor([&] { return ReadFile(log).find(expected) != std::string::npos; }, absl::Minutes(1)));
  // A member leaving is a new view (the watch, not a poll, wakes it).
  const int replica = 1 - *primary;
  REQUIRE(WaitFor(
      [&] {
        return ReadFile(log).find(absl::StrCat("replica ", cluster.name(replica))) !=
               std::string::npos;
      },
      absl::Minutes(1)));
  cluster.TermDaemon(replica);
  CHECK(WaitFor(
      [&] {
        std::string text = ReadFile(log);
        size_t last = text.rfind("cluster follow");
        return last != std::string::npos &&
               text.find(absl::StrCat("replica ", cluster.name(replica)), last) ==
                   std::string::npos;
      },
      absl::Minutes(1)));
  follower.Stop();
}

}  // namespace
}  // namespace pgha::testing
