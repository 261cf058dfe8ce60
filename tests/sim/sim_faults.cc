// SimCluster: the faults a test or the random injector applies, and their repair.
#include "absl/strings/str_cat.h"
#include "sim_cluster.h"

namespace pgha::sim {

void SimCluster::RunWithFaults(const FaultMix& mix, absl::Duration d) {
  std::uniform_real_distribution<double> unit(0, 1);
  double p = mix.per_minute * absl::ToDoubleSeconds(options_.step) / 60.0;
  absl::Duration end = Elapsed() + d;
  while (Elapsed() < end) {
    if (unit(rng_) < p) InjectFault(mix);
    Step();
  }
  HealAll();
}

void SimCluster::InjectFault(const FaultMix& mix) {
  std::vector<int> weights = {mix.crash,         mix.pg_crash,       mix.graceful_restart,
                              mix.dcs_partition, mix.net_partition,  mix.full_partition,
                              mix.dcs_outage,    mix.switchover,     mix.stall};
  if (std::all_of(weights.begin(), weights.end(), [](int w) { return w == 0; })) return;
  std::discrete_distribution<int> pick(weights.begin(), weights.end());
  int kind = pick(rng_);
  absl::Duration length = RandomDuration(mix.min_fault, mix.max_fault);
  std::vector<std::string> healthy;
  int impaired = 0;
  for (const auto& name : names_) {
    if (node(name).impaired) {
      ++impaired;
    } else if (node(name).up()) {
      healthy.push_back(name);
    }
  }
  std::string victim;
  if (!healthy.empty()) victim = healthy[std::uniform_int_distribution<size_t>(0, healthy.size() - 1)(rng_)];
  bool may_impair = !victim.empty() && impaired < (options_.nodes - 1) / 2;
  auto impair = [&](std::function<void()> start, std::function<void()> end) {
    if (!may_impair) return;
    node(victim).impaired = true;
    start();
    std::string name = victim;
    After(length, [this, name, end] {
      end();
      node(name).impaired = false;
    });
  };
  switch (kind) {
    case 0:
      impair([&] { Crash(victim); }, [this, victim] { Restart(victim); });
      break;
    case 1:
      if (!victim.empty()) CrashPostgres(victim);
      break;
    case 2:
      impair([&] { StopGracefully(victim); }, [this, victim] { Restart(victim); });
      break;
    case 3:
      impair([&] { PartitionFromDcs(victim, true); }, [this, victim] { PartitionFromDcs(victim, false); });
      break;
    case 4:
      impair([&] { IsolateFromPeers(victim, true); }, [this, victim] { IsolateFromPeers(victim, false); });
      break;
    case 5:
      impair(
          [&] {
            PartitionFromDcs(victim, true);
            IsolateFromPeers(victim, true);
          },
          [this, victim] {
            PartitionFromDcs(victim, false);
            IsolateFromPeers(victim, false);
          });
      break;
    case 6:
      if (!dcs_down_) {
        SetDcsDown(true);
        After(length / 2, [this] { SetDcsDown(false); });
      }
      break;
    case 7: {
      std::string leader = LockHolder();
      if (leader.empty() || !node(leader).up()) break;
      std::string candidate;
      if (std::uniform_int_distribution<int>(0, 1)(rng_) == 1 && !victim.empty() && victim != leader) {
        candidate = victim;
      }
      RequestSwitchover(leader, candidate);
      break;
    }
    case 8:
      if (may_impair) {
        node(victim).impaired = true;
        Freeze(victim, length);
        std::string name = victim;
        After(length, [this, name] { node(name).impaired = false; });
      }
      break;
  }
}

void SimCluster::Crash(const std::string& name) {
  Node& n = node(name);
  if (!n.up()) return;
  Event(absl::StrCat("FAULT ", name, ": daemon and PostgreSQL crash"));
  StopDaemon(n);
  n.pg->Crash();
}

void SimCluster::CrashPostgres(const std::string& name) {
  Event(absl::StrCat("FAULT ", name, ": PostgreSQL crashes"));
  node(name).pg->Crash();
}

void SimCluster::Freeze(const std::string& name, absl::Duration d) {
  Node& n = node(name);
  Event(absl::StrCat("FAULT ", name, ": the daemon freezes for ", absl::FormatDuration(d)));
  n.frozen_until = clock_.Monotonic() + d;
  n.next_cycle = std::max(n.next_cycle, n.frozen_until);
}

void SimCluster::StopGracefully(const std::string& name) {
  Node& n = node(name);
  if (!n.up()) return;
  Event(absl::StrCat("FAULT ", name, ": graceful shutdown"));
  // Shutdown may wait (a synchronous standby waits to be released); the other nodes' cycles
  // run meanwhile, this node's own must not.
  n.busy = true;
  n.loop->Shutdown();
  n.busy = false;
  StopDaemon(n);
}

void SimCluster::Restart(const std::string& name) {
  Node& n = node(name);
  if (n.up()) return;
  Event(absl::StrCat("REPAIR ", name, ": daemon starts"));
  StartDaemon(n);
  n.next_cycle = clock_.Monotonic() + RandomDuration(absl::ZeroDuration(), absl::Seconds(1));
}

void SimCluster::PartitionFromDcs(const std::string& name, bool partitioned) {
  Event(absl::StrCat(partitioned ? "FAULT " : "REPAIR ", name, ": ", partitioned ? "cut from" : "reconnected to",
                     " the DCS"));
  store_.SetPartitioned(name, partitioned);
}

void SimCluster::IsolateFromPeers(const std::string& name, bool isolated) {
  Event(absl::StrCat(isolated ? "FAULT " : "REPAIR ", name, ": ", isolated ? "isolated from" : "reconnected to",
                     " the other nodes"));
  world_.SetIsolated(name, isolated);
}

void SimCluster::SetDcsDown(bool down) {
  Event(down ? "FAULT the DCS is down" : "REPAIR the DCS is back");
  store_.SetDown(down);
  dcs_down_ = down;
}

// POST /switchover's checks (api/actions.cc FailoverImpossibleReason), on what the node published.
std::string SimCluster::SwitchoverRefusal(Node& n, const std::string& leader, const std::string& candidate) {
  auto published = n.board->Current()->cluster;
  if (!published) return "DCS is not accessible";
  const dcs::ClusterState& cluster = *published;
  if (!cluster.leader || cluster.leader->name != leader) return "leader name does not match";
  bool sync_mode = cluster.IsSynchronousMode() && cluster.sync;
  std::vector<dcs::Member> members;
  for (const auto& m : cluster.members) {
    if (!candidate.empty() ? m.name == candidate
                           : sync_mode ? cluster.sync->Contains(m.name) : !cluster.IsLeader(m.name)) {
      members.push_back(m);
    }
  }
  if (!candidate.empty() && sync_mode && !cluster.sync->Contains(candidate)) {
    return "candidate name does not match with sync_standby";
  }
  if (members.empty()) return "no candidate";
  for (const auto& st : n.prober->Probe(members, absl::Seconds(2))) {
    if (st.reachable && !st.nofailover && st.failover_priority > 0 && !st.watchdog_failed) return "";
  }
  return "no good candidates have been found";
}

void SimCluster::RequestSwitchover(const std::string& leader, const std::string& candidate) {
  Node& n = node(leader);
  if (!n.up()) return;
  std::string refusal = options_.validate_switchovers ? SwitchoverRefusal(n, leader, candidate) : "";
  Event(absl::StrCat("REQUEST switchover from ", leader, candidate.empty() ? "" : " to " + candidate,
                     refusal.empty() ? "" : ": refused (412 " + refusal + ")"));
  if (!refusal.empty()) return;
  ha::Command c;
  c.kind = ha::Command::Kind::kSwitchover;
  c.payload = Json{{"leader", leader}};
  if (!candidate.empty()) c.payload["candidate"] = candidate;
  n.board->Submit(c);
  n.next_cycle = clock_.Monotonic();  // the REST handler wakes the loop
}

void SimCluster::HealAll() {
  scheduled_.clear();
  if (dcs_down_) SetDcsDown(false);
  for (const auto& name : names_) {
    Node& n = node(name);
    if (store_.IsPartitioned(name)) PartitionFromDcs(name, false);
    if (!world_.CanTalk(name, "")) IsolateFromPeers(name, false);
    if (!n.up()) Restart(name);
    n.impaired = false;
  }
}

}  // namespace pgha::sim
