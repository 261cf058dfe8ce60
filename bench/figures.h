// What the benchmarks measure outside pgha itself: medians, a process's memory and CPU time from
// /proc, and etcd's own count of the requests it served (its /metrics).
#ifndef PGHA_BENCH_FIGURES_H_
#define PGHA_BENCH_FIGURES_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pgha::bench {

double Median(std::vector<double> v);

struct ProcStat {
  int64_t rss_kb = 0;
  int64_t anon_kb = 0;  // RssAnon: memory of this process alone (the rest is shared libraries)
  int64_t cpu_ticks = 0;
};
ProcStat ReadProc(pid_t pid);
double CpuSeconds(const ProcStat& before, const ProcStat& after);

// Requests etcd served, by gRPC method: unary calls, streams opened, and messages received on
// streams (each keep-alive on a long-lived stream is one request to etcd).
struct EtcdRequests {
  std::map<std::string, double> by_method;
  double Total() const;
  EtcdRequests Minus(const EtcdRequests& earlier) const;
  std::string Describe(double divisor) const;  // "Range 0.02, LeaseKeepAlive message 1.00, ..."
};
// Reads http://<host_port>/metrics.
absl::StatusOr<EtcdRequests> ScrapeEtcdRequests(const std::string& host_port);

}  // namespace pgha::bench

#endif  // PGHA_BENCH_FIGURES_H_
