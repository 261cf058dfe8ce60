// The documents the REST API serves, built from the published NodeStatus and cluster snapshot:
// GET /patroni, /cluster, /history and /metrics, in Patroni's field names and order.
// Pure functions.
#ifndef PGHA_API_STATUS_VIEWS_H_
#define PGHA_API_STATUS_VIEWS_H_

#include <string>

#include "absl/time/time.h"
#include "pgha/base/json.h"
#include "pgha/dcs/cluster_state.h"
#include "pgha/ha/node_status.h"

namespace pgha::api {

Json PatroniStatus(const ha::NodeStatus& status);
// `status` (published at the end of the loop's last cycle, up to loop_wait old) with the role,
// WAL positions, timeline and replication rows of `live`, a query made now, as Patroni answers GET /patroni: the
// leader race and switchovers compare positions, and a stale one can elect a node that is
// behind. When the query failed, the positions are left out (state and role stay); a server
// the loop did not see running is reported as the loop saw it.
ha::NodeStatus WithLivePositions(ha::NodeStatus status, const pg::Observation& live);
Json ClusterView(const dcs::ClusterState& cluster);
Json HistoryView(const dcs::ClusterState& cluster);
std::string MetricsText(const ha::NodeStatus& status);

}  // namespace pgha::api

#endif  // PGHA_API_STATUS_VIEWS_H_
