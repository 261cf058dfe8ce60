// Embedding pgha: follow a cluster from a C++ service. Prints the primary and the replicas
// whenever they change (driven by the DCS's watch, not by polling), until interrupted.
//
//   follow_cluster /etc/patroni/config.yml            (scope + a DCS section)
//   follow_cluster etcd3://127.0.0.1:2379 my-cluster   (patronictl's --dcs-url form)
#include <csignal>
#include <iostream>

#include "pgha/backends/factory.h"
#include "pgha/client/client.h"

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void PrintView(const pgha::client::ClusterView& view) {
  std::cout << "cluster " << view.scope << " (view " << view.sequence << ")"
            << (view.dcs_reachable ? "" : " [DCS unreachable: last known state]")
            << (view.paused ? " [paused]" : "") << "\n";
  if (view.primary) {
    std::cout << "  primary " << view.primary->name << " " << view.primary->host << ":"
              << view.primary->port << " timeline " << view.timeline << "\n";
  } else if (!view.leader.empty()) {
    std::cout << "  no primary yet: " << view.leader << " holds the leader lock\n";
  } else {
    std::cout << "  no primary: nobody holds the leader lock\n";
  }
  for (const auto& r : view.replicas) {
    std::cout << "  replica " << r.name << " " << r.host << ":" << r.port << " " << r.state;
    if (r.lag_bytes) std::cout << " lag " << *r.lag_bytes << " B";
    if (r.sync_standby) std::cout << " sync";
    if (r.noloadbalance) std::cout << " noloadbalance";
    std::cout << "\n";
  }
  std::cout << std::flush;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::cerr << "usage: follow_cluster CONFIG | follow_cluster DCS_URL SCOPE\n";
    return 2;
  }
  // The DCS backends this program links (pgha::backends: etcd3, ZooKeeper and Consul).
  pgha::backends::RegisterBuiltinBackends();
  auto client = argc == 2 ? pgha::client::Client::FromConfigFile(argv[1])
                          : pgha::client::Client::FromDcsUrl(argv[1], argv[2]);
  if (!client.ok()) {
    std::cerr << client.status() << "\n";
    return 1;
  }
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
  // Called on the client's thread for the current view, then for every change.
  (*client)->OnChange([](const pgha::client::ClusterViewPtr& view) { PrintView(*view); });
  uint64_t seen = 0;
  while (!stop_requested)
    seen = (*client)->WaitForNewerThan(seen, absl::Milliseconds(200))->sequence;
  return 0;
}
