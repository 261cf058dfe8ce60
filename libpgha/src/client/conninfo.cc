// libpq keyword/value connection strings (PostgreSQL docs, "Connection Strings": a value is
// quoted with single quotes; backslash and single quote are escaped with a backslash).
#include "pgha/client/conninfo.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pgha::client {
namespace {

std::string Quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

void Append(std::string* out, const std::string& key, const std::string& value) {
  if (value.empty()) return;
  if (!out->empty()) out->push_back(' ');
  absl::StrAppend(out, key, "=", Quote(value));
}

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
  Append(&out, "host", member.host);
  Append(&out, "port", member.port > 0 ? std::to_string(member.port) : "");
  Append(&out, "dbname", settings.dbname);
  Append(&out, "user", settings.user);
  Append(&out, "password", settings.password);
  Append(&out, "application_name", settings.application_name);
  if (settings.connect_timeout_seconds > 0) {
    Append(&out, "connect_timeout", std::to_string(settings.connect_timeout_seconds));
  }
  for (const auto& [key, value] : settings.extra) Append(&out, key, value);
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
