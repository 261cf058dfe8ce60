// Asks other members for their status (GET <api_url>), for the leader race and switchovers.
// Thread-safety: implementations are safe to call from the loop and the worker.
#ifndef PGHA_HA_PEER_PROBER_H_
#define PGHA_HA_PEER_PROBER_H_

#include <vector>

#include "absl/time/time.h"
#include "pgha/dcs/cluster_state.h"
#include "pgha/ha/types.h"

namespace pgha::ha {

class PeerProber {
 public:
  virtual ~PeerProber() = default;
  // Queries every member in parallel, each with `timeout`; unreachable ones are returned with
  // reachable=false. Never blocks longer than about `timeout`.
  virtual std::vector<PeerStatus> Probe(const std::vector<dcs::Member>& members,
                                        absl::Duration timeout) = 0;
};

}  // namespace pgha::ha

#endif  // PGHA_HA_PEER_PROBER_H_
