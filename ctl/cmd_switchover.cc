// switchover and failover: patronictl's _do_failover_or_switchover. The request goes to the
// leader's REST API (the candidate's when there is no leader); when that call cannot be made,
// the failover key is written into the DCS directly, as patronictl does.
#include <algorithm>
#include <memory>
#include <optional>
#include <ostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/member_select.h"
#include "ctl/py_format.h"
#include "pgha/base/pycompat.h"
#include "ctl/time_format.h"

namespace pgha::ctl {
namespace {

struct Options {
  std::string cluster;
  std::optional<std::string> leader;
  std::optional<std::string> candidate;
  std::optional<std::string> scheduled;
  bool force = false;
};

absl::Status Run(Session& s, std::string action, const Options& o) {
  auto c = LoadCluster(s, o.cluster);
  if (!c.ok()) return c.status();
  dcs::ClusterStatePtr cluster = c->state;
  s.out() << "Current cluster topology\n";
  OutputMembers(s, *cluster, c->name);

  auto leader_member = LeaderMember(*cluster);
  if (action == "switchover" && !leader_member) return CtlError("This cluster has no leader");

  std::optional<std::string> leader = o.leader;
  if (!leader) {
    if (o.force || action == "failover") {
      if (leader_member) leader = leader_member->name;
    } else {
      // patronictl 3.0.2 asks "Primary" here too (it meant to say "Standby Leader" for standby
      // clusters but tested the wrong object); pgha asks what the leader actually is.
      auto answer = s.prompter().Prompt(cluster->IsStandbyCluster() ? "Standby Leader" : "Primary",
                                        leader_member->name);
      if (!answer.ok()) return answer.status();
      leader = *answer;
    }
  }
  if (leader && leader_member && leader_member->name != *leader) {
    return CtlError(absl::StrCat("Member ", *leader, " is not the leader of cluster ", c->name));
  }

  std::vector<std::string> candidates;
  for (const auto& m : cluster->members) {
    if ((!leader || m.name != *leader) && !m.NoFailover()) candidates.push_back(m.name);
  }
  std::sort(candidates.begin(), candidates.end());
  if (candidates.empty()) return CtlError(absl::StrCat("No candidates found to ", action, " to"));

  std::optional<std::string> candidate = o.candidate;
  if (!candidate && !o.force) {
    Json list = Json::array();
    for (const auto& n : candidates) list.push_back(n);
    auto answer = s.prompter().Prompt("Candidate " + py::Repr(list), "");
    if (!answer.ok()) return answer.status();
    candidate = *answer;
  }
  if (action == "failover" && (!candidate || candidate->empty())) {
    return CtlError("Failover could be performed only to a specific candidate");
  }
  if (candidate && leader && *candidate == *leader) {
    return CtlError(PyTitle(action) + " target and source are the same.");
  }
  if (candidate && !candidate->empty() &&
      std::find(candidates.begin(), candidates.end(), *candidate) == candidates.end()) {
    return CtlError(absl::StrCat("Member ", *candidate, " does not exist in cluster ", c->name));
  }

  std::optional<ScheduledTime> scheduled_at;
  if (action == "switchover") {
    std::string scheduled = o.scheduled.value_or("");
    if (!o.scheduled && !o.force) {
      auto answer = s.prompter().Prompt("When should the switchover take place (e.g. " +
                                            NextHourExample(s.Now(), s.LocalZone()) + " ) ",
                                        "now");
      if (!answer.ok()) return answer.status();
      scheduled = *answer;
    }
    auto parsed = ParseScheduled(scheduled, s.Now(), s.LocalZone());
    if (!parsed.ok()) return CtlError(std::string(parsed.status().message()));
    scheduled_at = *parsed;
    if (scheduled_at && cluster->IsPaused())
      return CtlError("Can't schedule switchover in the paused state");
  }

  Json body = {{"leader", leader ? Json(*leader) : Json()},
               {"candidate", candidate ? Json(*candidate) : Json()},
               {"scheduled_at", scheduled_at ? Json(scheduled_at->iso) : Json()}};

  if (!o.force) {
    std::string demote = leader && !leader->empty() ? ", demoting current leader " + *leader : "";
    if (scheduled_at) {
      auto yes = s.prompter().Confirm(absl::StrCat("Are you sure you want to schedule ", action,
                                                   " of cluster ", c->name, " at ",
                                                   scheduled_at->iso, demote, "?"));
      if (!yes.ok()) return yes.status();
      if (!*yes) return CtlError("Aborting scheduled " + action);
    } else {
      auto yes = s.prompter().Confirm(
          absl::StrCat("Are you sure you want to ", action, " cluster ", c->name, demote, "?"));
      if (!yes.ok()) return yes.status();
      if (!*yes) return CtlError("Aborting " + action);
    }
  }

  std::optional<dcs::Member> target = leader_member;
  if (!target && candidate) {
    if (const dcs::Member* m = cluster->FindMember(*candidate)) target = *m;
  }
  absl::StatusOr<api::HttpResponse> r = absl::UnavailableError("no member to send the request to");
  if (target) r = s.Request(*target, "POST", action, body, kRestartTimeout);
  if (r.ok() && r->status == 501 && action == "switchover" &&
      absl::StrContains(r->body, "Server does not support this operation")) {
    r = s.Request(*target, "POST", "failover", body, kRestartTimeout);  // a very old Patroni
  }
  if (r.ok()) {
    if (r->status != 200 && r->status != 202) {
      s.out() << PyTitle(action) << " failed, details: " << r->status << ", " << r->body << "\n";
      return absl::OkStatus();
    }
    auto fresh = Session::Load(*c->dcs);
    if (fresh.ok()) cluster = *fresh;
    s.out() << Timestamp(s) << " " << r->body << "\n";
  } else {
    s.Warn(std::string(r.status().message()));
    s.Warn("Failing over to DCS");
    s.out() << Timestamp(s) << " Could not " << action
            << " using Patroni api, falling back to DCS\n";
    dcs::FailoverRequest request;
    request.leader = leader.value_or("");
    request.candidate = candidate.value_or("");
    if (scheduled_at) {
      request.scheduled_at = scheduled_at->time;
      request.scheduled_at_text = scheduled_at->iso;
    }
    dcs::Version version = cluster->failover ? cluster->failover->version : dcs::kNoVersion;
    absl::Status written = c->dcs->WriteFailover(request, version);
    if (!written.ok())
      return CtlError(absl::StrCat("could not write the failover key: ", written.message()));
  }
  OutputMembers(s, *cluster, c->name);
  return absl::OkStatus();
}

CLI::App* AddCommon(CLI::App& app, const char* name, const char* help, std::shared_ptr<Options> o) {
  CLI::App* cmd = app.add_subcommand(name, help);
  cmd->add_option("cluster_name", o->cluster, "Cluster (default: the configured scope)");
  // --master is patronictl 3.0.2's older spelling, kept for scripts written against it.
  cmd->add_option("--leader,--primary,--master", o->leader, "The name of the current leader");
  cmd->add_option("--candidate", o->candidate, "The name of the candidate");
  cmd->add_flag("--force", o->force, "Do not ask for confirmation at any point");
  return cmd;
}

}  // namespace

void AddSwitchoverCommands(CLI::App& app, CommandTable& table) {
  {
    auto o = std::make_shared<Options>();
    CLI::App* cmd = AddCommon(app, "switchover", "Switchover to a replica", o);
    cmd->add_option("--scheduled", o->scheduled,
                    "Timestamp of a scheduled switchover in unambiguous format (e.g. ISO 8601)");
    table.Add(cmd, [o](Session& s) { return Run(s, "switchover", *o); });
  }
  {
    auto o = std::make_shared<Options>();
    CLI::App* cmd = AddCommon(app, "failover", "Failover to a replica", o);
    // patronictl 3.0.2: naming the leader turns a failover into a switchover.
    table.Add(cmd, [o](Session& s) { return Run(s, o->leader ? "switchover" : "failover", *o); });
  }
}

}  // namespace pgha::ctl
