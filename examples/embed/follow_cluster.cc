// Embedding libpgha: follow a cluster from a C++ service, without a proxy. Reads the DCS
// directly (the same keys Patroni and pgha write), prints the current primary and replicas, and
// wakes as soon as anything changes.
//
//   follow_cluster /etc/patroni/patroni.yml        (any file with scope + a DCS section)
#include <cstdio>
#include <iostream>

#include "pgha/backends/factory.h"
#include "pgha/config/loader.h"
#include "pgha/dcs/dcs.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: follow_cluster CONFIG\n";
    return 2;
  }
  auto loaded = pgha::config::LoadCtlConfig(argv[1], pgha::config::ProcessEnvironment());
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics.all()) std::cerr << d.ToString() << "\n";
    return 1;
  }
  const pgha::config::Config& cfg = *loaded.config;
  auto backend = pgha::backends::MakeBackend(cfg, absl::Seconds(30), absl::Seconds(10));
  if (!backend.ok()) {
    std::cerr << backend.status() << "\n";
    return 1;
  }
  pgha::dcs::Dcs dcs(std::move(*backend), pgha::dcs::KeyLayout(cfg.namespace_, cfg.scope));
  std::string last;
  while (true) {
    auto state = dcs.Load();
    if (!state.ok()) {
      std::cerr << "DCS: " << state.status() << "\n";
      absl::SleepFor(absl::Seconds(1));
      continue;
    }
    const pgha::dcs::ClusterState& c = **state;
    std::string view = "primary: ";
    const pgha::dcs::Member* leader = c.LeaderMember();
    view += leader != nullptr ? leader->conn_url : "(none)";
    for (const auto& m : c.members) {
      if (leader != nullptr && m.name == leader->name) continue;
      view += "\n  replica " + m.name + " " + m.conn_url + " (" + m.state + ")";
    }
    if (view != last) {
      std::cout << view << std::endl;
      last = view;
    }
    // Blocks until anything in the cluster changes (etcd watch, ZooKeeper watch, Consul
    // blocking query), or 30 s pass.
    (void)dcs.WaitForChange(c, absl::Seconds(30));
  }
}
