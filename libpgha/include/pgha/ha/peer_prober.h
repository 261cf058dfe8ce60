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
  // Failsafe mode: POSTs `body` (this primary's name, conn_url, api_url) to /failsafe on every
  // one of `members` in parallel; true when every one answered 200 "Accepted" (one retry each,
  // `timeout` per try). The default cannot ask anyone, so it never confirms.
  virtual bool ConfirmFailsafe(const std::vector<dcs::Member>& members, const std::string& body,
                               absl::Duration timeout) {
    return members.empty();
  }
};

}  // namespace pgha::ha

#endif  // PGHA_HA_PEER_PROBER_H_
