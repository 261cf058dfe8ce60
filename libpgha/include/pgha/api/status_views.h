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
Json ClusterView(const dcs::ClusterState& cluster);
Json HistoryView(const dcs::ClusterState& cluster);
std::string MetricsText(const ha::NodeStatus& status);

// Patroni's `Lag in MB`/`lag` of a member: bytes behind the leader's last known position.
std::optional<int64_t> MemberLag(const dcs::ClusterState& cluster, const dcs::Member& member);

}  // namespace pgha::api

#endif  // PGHA_API_STATUS_VIEWS_H_
