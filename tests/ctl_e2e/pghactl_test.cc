// pghactl against a live three-node cluster: every command, its output and exit code, driven
// with --force or answers on stdin as an operator's script would.
#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cluster_harness.h"
#include "pgha/base/process_runner.h"
#include "wait.h"

namespace pgha::testing {
namespace {

struct Result {
  int code = -1;
  std::string out;
};

// pghactl with `args` as given (no -c added), with `env` on top of ours.
Result RunCtl(ClusterHarness& c, std::vector<std::string> args,
              std::vector<std::pair<std::string, std::string>> env = {},
              const std::string& stdin_data = "", absl::Duration timeout = absl::Minutes(5)) {
  args.insert(args.begin(), std::string(PGHA_BINARY_DIR) + "/pghactl");
  // `query` connects as a DBA would: with a password file.
  env.emplace_back("PGPASSFILE", c.spec(0).dir + "/pgpass");
  PosixProcessRunner runner;
  auto r = runner.Run(
      {.argv = args, .env = std::move(env), .stdin_data = stdin_data, .timeout = timeout});
  if (!r.ok()) return {};
  return {r->exit_code, r->output};
}

Result Ctl(ClusterHarness& c, std::vector<std::string> args, const std::string& stdin_data = "") {
  args.insert(args.begin(), {"-c", c.config_path(0)});
  return RunCtl(c, std::move(args), {}, stdin_data);
}

bool Contains(const Result& r, const std::string& s) { return r.out.find(s) != std::string::npos; }

TEST_CASE("pghactl drives a live cluster as patronictl does") {
  RequireScenarioPrerequisites();
  ClusterHarness c;
  c.StartAll();
  auto primary = c.WaitForHealthy(2, absl::Seconds(120));
  REQUIRE(primary);
  const std::string leader = c.name(*primary);
  const int a = (*primary + 1) % 3, b = (*primary + 2) % 3;

  Result list = Ctl(c, {"list"});
  INFO(list.out);
  CHECK(list.code == 0);
  CHECK(absl::StartsWith(list.out, "+ Cluster: scenario "));
  CHECK(Contains(list, "| Member | Host"));
  CHECK(Contains(list, absl::StrCat("| ", leader, "    | 127.0.0.1:", c.spec(*primary).pg_port,
                                    " | Leader  | running |")));
  for (int i : {a, b})
    CHECK(Contains(list, absl::StrCat("| ", c.name(i), "    | 127.0.0.1:", c.spec(i).pg_port,
                                      " | Replica | running |")));

  Result json = Ctl(c, {"list", "-f", "json"});
  REQUIRE(json.code == 0);
  Json members = Json::parse(json.out);
  REQUIRE(members.size() == 3);
  CHECK(members[*primary]["Role"] == "Leader");
  CHECK(members[*primary]["Cluster"] == "scenario");
  CHECK_FALSE(members[*primary].contains("Lag in MB"));
  CHECK(members[a]["Lag in MB"] == 0);

  CHECK(Contains(Ctl(c, {"list", "-e"}), "| Pending restart | Scheduled restart | Tags |"));
  // The configuration from PATRONICTL_CONFIG_FILE, or no file and the DCS from --dcs-url.
  Result from_env = RunCtl(c, {"list"}, {{"PATRONICTL_CONFIG_FILE", c.config_path(0)}});
  CHECK(from_env.code == 0);
  CHECK(Contains(from_env, absl::StrCat("| ", leader, "    | 127.0.0.1:")));
  std::string dcs_yaml = c.dcs().NodeYaml();  // "etcd3:\n  hosts: 127.0.0.1:NNNN\n"
  std::string endpoint = dcs_yaml.substr(dcs_yaml.find("127.0.0.1:"));
  endpoint = endpoint.substr(0, endpoint.find('\n'));
  Result by_url = RunCtl(c, {"--dcs-url", "etcd3://" + endpoint, "list", "scenario"},
                         {{"HOME", c.spec(0).dir}});  // no ~/.config/patroni/patronictl.yaml
  INFO(by_url.out);
  CHECK(by_url.code == 0);
  CHECK(Contains(by_url, absl::StrCat("| ", leader, "    | 127.0.0.1:")));
  // -w: the table again every interval until interrupted.
  Result watch = RunCtl(c, {"-c", c.config_path(0), "list", "-w", "0.5"}, {}, "", absl::Seconds(3));
  size_t tables = 0;
  for (size_t at = watch.out.find("+ Cluster: scenario"); at != std::string::npos;
       at = watch.out.find("+ Cluster: scenario", at + 1)) {
    ++tables;
  }
  INFO(watch.out);
  CHECK(tables >= 2);

  Result tsv = Ctl(c, {"list", "-f", "tsv"});
  CHECK(absl::StartsWith(tsv.out, "Cluster\tMember\tHost\tRole\tState\tTL\tLag in MB\n"));
  Result topology = Ctl(c, {"topology"});
  CHECK(topology.code == 0);
  CHECK(Contains(topology, absl::StrCat("| + ", c.name(a))));
  CHECK(Contains(Ctl(c, {"show-config"}), "ttl: 10\n"));
  CHECK(Ctl(c, {"history"}).code == 0);
  CHECK(Contains(Ctl(c, {"version"}), "patronictl version 3.0.2"));
  Result dsn = Ctl(c, {"dsn", "-r", "primary"});
  CHECK(Contains(dsn, absl::StrCat("port=", c.spec(*primary).pg_port)));
  Result query = Ctl(c, {"query", "-m", c.name(a), "-U", "postgres", "-c", "SELECT 40 + 2"});
  INFO(query.out);
  CHECK(query.code == 0);
  CHECK(Contains(query, "42"));

  // edit-config: a dotted -s and a -p, applied without the editor, then visible everywhere.
  Result edit = Ctl(c, {"edit-config", "--force", "-s", "loop_wait=2", "-p", "work_mem=8MB"});
  INFO(edit.out);
  CHECK(edit.code == 0);
  CHECK(Contains(edit, "+loop_wait: 2"));
  CHECK(Contains(edit, "+    work_mem: 8MB"));
  // GET /config answers from the member's last view of the DCS: give it a cycle.
  CHECK(WaitFor(
      [&] {
        Json config = Json::parse(c.Rest(a, "GET", "/config").second, nullptr, false);
        return !config.is_discarded() && config["loop_wait"] == 2 &&
               config["postgresql"]["parameters"]["work_mem"] == "8MB";
      },
      absl::Seconds(30)));
  REQUIRE(WaitFor(
      [&] {
        auto v = c.Sql(*primary, "SHOW work_mem");
        return v.ok() && (*v)[0] == "8MB";
      },
      absl::Seconds(30)));
  // Declining the prompt changes nothing (and, as with patronictl, is not an error).
  Result declined = Ctl(c, {"edit-config", "-s", "ttl=20"}, "n\n");
  CHECK(declined.code == 0);
  CHECK(Contains(declined, "+ttl: 20"));
  CHECK(Json::parse(c.Rest(a, "GET", "/config").second)["ttl"] == 10);

  // pause / resume with --wait.
  Result pause = Ctl(c, {"pause", "--wait"});
  INFO(pause.out);
  CHECK(pause.code == 0);
  CHECK(Contains(pause, "Success: cluster management is paused"));
  CHECK(Contains(Ctl(c, {"list"}), " Maintenance mode: on"));
  Result resume = Ctl(c, {"resume", "--wait"});
  CHECK(Contains(resume, "Success: cluster management is resumed"));

  // A scheduled switchover shows in list and is flushed.
  Result scheduled = Ctl(c, {"switchover", "--leader", leader, "--candidate", c.name(a),
                             "--scheduled", "2099-01-01T00:00+00:00", "--force"});
  INFO(scheduled.out);
  CHECK(scheduled.code == 0);
  CHECK(Contains(scheduled, " Switchover scheduled at: 2099-01-01T00:00:00+00:00"));
  Result flush = Ctl(c, {"flush", "scenario", "switchover", "--force"});
  CHECK(Contains(flush, "Success: scheduled switchover deleted"));

  // Switchover now, answering the prompts on stdin.
  Result sw = Ctl(c, {"switchover"}, absl::StrCat(leader, "\n", c.name(a), "\n\ny\n"));
  INFO(sw.out);
  CHECK(sw.code == 0);
  CHECK(Contains(sw, absl::StrCat("Successfully switched over to \"", c.name(a), "\"")));
  REQUIRE(WaitFor([&] { return c.Primary() == a; }, absl::Seconds(60)));
  REQUIRE(c.WaitForHealthy(2, absl::Seconds(60)));

  // Failover to a named candidate.
  Result fo = Ctl(c, {"failover", "--candidate", c.name(b), "--force"});
  INFO(fo.out);
  CHECK(fo.code == 0);
  REQUIRE(WaitFor([&] { return c.Primary() == b; }, absl::Seconds(60)));
  REQUIRE(c.WaitForHealthy(2, absl::Seconds(60)));

  // restart, reload, reinit on a replica.
  Result restart = Ctl(c, {"restart", "scenario", c.name(a), "--force"});
  INFO(restart.out);
  CHECK(Contains(restart, absl::StrCat("Success: restart on member ", c.name(a))));
  Result reload = Ctl(c, {"reload", "scenario", c.name(a), "--force"});
  CHECK(reload.code == 0);
  CHECK(Contains(reload, absl::StrCat("Reload request received for member ", c.name(a))));
  Result reinit = Ctl(c, {"reinit", "scenario", c.name(a), "--force", "--wait"});
  INFO(reinit.out);
  CHECK(reinit.code == 0);
  CHECK(Contains(reinit, absl::StrCat("Reinitialize is completed on: ", c.name(a))));
  REQUIRE(c.WaitForHealthy(2, absl::Seconds(120)));

  // A scheduled restart: shown by list -e, refused twice, flushed; one due soon does restart.
  auto scheduled_in_list = [&] { return Contains(Ctl(c, {"list", "-e"}), "2099-01-01"); };
  Result later = Ctl(
      c, {"restart", "scenario", c.name(a), "--scheduled", "2099-01-01T00:00+00:00", "--force"});
  INFO(later.out);
  CHECK(Contains(later, absl::StrCat("Success: restart scheduled on member ", c.name(a))));
  CHECK(WaitFor(scheduled_in_list, absl::Seconds(30)));
  Result twice =
      Ctl(c, {"restart", "scenario", c.name(a), "--scheduled", "2099-01-02T00:00+00:00"}, "y\n\n");
  INFO(twice.out);
  CHECK(Contains(
      twice, absl::StrCat("Failed: another restart is already scheduled on member ", c.name(a))));
  Result flush_restart = Ctl(c, {"flush", "scenario", c.name(a), "restart", "--force"});
  INFO(flush_restart.out);
  CHECK(Contains(flush_restart,
                 absl::StrCat("Success: flush scheduled restart for member ", c.name(a))));
  CHECK(WaitFor([&] { return !scheduled_in_list(); }, absl::Seconds(30)));
  auto started_at = [&] {
    auto r = c.Sql(a, "SELECT pg_postmaster_start_time()");
    return r.ok() ? (*r)[0] : std::string();
  };
  const std::string before = started_at();
  REQUIRE_FALSE(before.empty());
  std::string soon = absl::FormatTime("%Y-%m-%dT%H:%M:%S+00:00", absl::Now() + absl::Seconds(5),
                                      absl::UTCTimeZone());
  Result due = Ctl(c, {"restart", "scenario", c.name(a), "--scheduled", soon, "--force"});
  INFO(due.out);
  CHECK(Contains(due, absl::StrCat("Success: restart scheduled on member ", c.name(a))));
  CHECK(WaitFor(
      [&] {
        std::string now = started_at();
        return !now.empty() && now != before;
      },
      absl::Seconds(60)));
  REQUIRE(c.WaitForHealthy(2, absl::Seconds(60)));

  Result reinit_leader = Ctl(c, {"reinit", "scenario", c.name(b), "--force"});
  INFO(reinit_leader.out);
  CHECK(reinit_leader.code == 1);
  CHECK(Contains(reinit_leader, "Error: No replica among provided members"));

  // remove: the three confirmations, then nothing of the cluster is left in the DCS.
  Result wrong = Ctl(c, {"remove", "scenario"}, "other\n");
  CHECK(wrong.code != 0);
  Result removed =
      Ctl(c, {"remove", "scenario"}, absl::StrCat("scenario\nYes I am aware\n", c.name(b), "\n"));
  INFO(removed.out);
  CHECK(removed.code == 0);
  Result after = Ctl(c, {"list", "-f", "json"});
  CHECK(after.code == 0);
}

}  // namespace
}  // namespace pgha::testing
