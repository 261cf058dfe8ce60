// Health-check endpoints (/, /primary, /replica?lag=..., /read-only, /sync, /health, ...):
// the HTTP status a load balancer sees, as Patroni computes it. Pure function.
#ifndef PGHA_API_HEALTH_H_
#define PGHA_API_HEALTH_H_

#include <map>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "pgha/ha/node_status.h"

namespace pgha::api {

using QueryParams = std::multimap<std::string, std::string>;

// The status code for GET/HEAD/OPTIONS on `path` (any path that is not a document endpoint;
// unknown paths answer 503 as in Patroni). kInvalidArgument-style problems (a bad ?lag=) make
// the check fail rather than error, as in Patroni.
int HealthStatusCode(const std::string& path, const QueryParams& query, const ha::NodeStatus& status);

// GET /liveness: the HA loop ran within ttl (primary) or 2*ttl (replica); always 200 paused.
int LivenessStatusCode(const ha::NodeStatus& status, absl::Time now, absl::Duration ttl);
// GET /readiness: the leader, or a running PostgreSQL with a readable DCS.
int ReadinessStatusCode(const ha::NodeStatus& status);

}  // namespace pgha::api

#endif  // PGHA_API_HEALTH_H_
