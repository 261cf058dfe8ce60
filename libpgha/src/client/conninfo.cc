// Connection strings for applications, from a ClusterView (quoting: pgha/base/conninfo.h).
#include "pgha/client/conninfo.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pgha/base/conninfo.h"

namespace pgha::client {
namespace {

bool Qualifies(const MemberView& m, const ReplicaPreference& preference) {
  // A former primary whose lock expired still says "primary" until its key expires too.
  if (m.role != "replica" || m.state != "running" || m.noloadbalance || m.host.empty() ||
      m.port <= 0)
    return false;
  if (preference.max_lag_bytes && (!m.lag_bytes || *m.lag_bytes > *preference.max_lag_bytes)) {
    return false;
  }
  for (const auto& [tag, value] : preference.tags) {
    auto it = m.tags.find(tag);
    if (it == m.tags.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace

std::string MemberConnInfo(const MemberView& member, const ConnectionSettings& settings) {
  std::string out;
  AppendConnInfo(&out, "host", member.host);
  AppendConnInfo(&out, "port", member.port > 0 ? std::to_string(member.port) : "");
  AppendConnInfo(&out, "dbname", settings.dbname);
  AppendConnInfo(&out, "user", settings.user);
  AppendConnInfo(&out, "password", settings.password);
  AppendConnInfo(&out, "application_name", settings.application_name);
  if (settings.connect_timeout_seconds > 0) {
    AppendConnInfo(&out, "connect_timeout", std::to_string(settings.connect_timeout_seconds));
  }
  for (const auto& [key, value] : settings.extra) AppendConnInfo(&out, key, value);
  return out;
}

absl::StatusOr<std::string> PrimaryConnInfo(const ClusterView& view,
                                            const ConnectionSettings& settings) {
  if (!view.primary) {
    return absl::UnavailableError(
        view.leader.empty()
            ? "no primary: nobody holds the leader lock"
            : absl::StrCat("no primary yet: '", view.leader,
                           "' holds the leader lock but is not running as primary"));
  }
  if (view.primary->host.empty() || view.primary->port <= 0) {
    return absl::UnavailableError(absl::StrCat("the primary '", view.primary->name,
                                               "' publishes no usable conn_url: '",
                                               view.primary->conn_url, "'"));
  }
  ConnectionSettings with_guard = settings;
  with_guard.extra["target_session_attrs"] = "read-write";
  return MemberConnInfo(*view.primary, with_guard);
}

std::vector<const MemberView*> ReadReplicas(const ClusterView& view,
                                            const ReplicaPreference& preference) {
  std::vector<const MemberView*> out;
  for (const MemberView& m : view.replicas) {
    if (Qualifies(m, preference)) out.push_back(&m);
  }
  std::stable_sort(out.begin(), out.end(), [](const MemberView* a, const MemberView* b) {
    // Unknown lag sorts last; replicas are already sorted by name.
    int64_t la = a->lag_bytes.value_or(INT64_MAX), lb = b->lag_bytes.value_or(INT64_MAX);
    return la < lb;
  });
  return out;
}

absl::StatusOr<std::string> ReplicaConnInfo(const ClusterView& view,
                                            const ReplicaPreference& preference,
                                            const ConnectionSettings& settings) {
  std::vector<const MemberView*> replicas = ReadReplicas(view, preference);
  if (!replicas.empty()) return MemberConnInfo(*replicas.front(), settings);
  if (preference.fall_back_to_primary) return PrimaryConnInfo(view, settings);
  return absl::UnavailableError("no replica qualifies for reads");
}

}  // namespace pgha::client
