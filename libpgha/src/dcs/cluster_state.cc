#include "pgha/dcs/cluster_state.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace pgha::dcs {
namespace {

bool Truthy(const Json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {
    std::string s = absl::AsciiStrToLower(v.get<std::string>());
    return s == "true" || s == "on" || s == "yes" || s == "1";
  }
  if (v.is_number()) return v.get<double>() != 0;
  return false;
}

std::optional<int> IntTag(const Json& tags, const char* key) {
  if (!tags.is_object() || !tags.contains(key)) return std::nullopt;
  const Json& v = tags[key];
  if (v.is_number_integer()) return v.get<int>();
  int n = 0;
  if (v.is_string() && absl::SimpleAtoi(v.get<std::string>(), &n)) return n;
  return std::nullopt;
}

// Splits "postgres://host:port/db" into host and port.
std::pair<std::string, int> ParseConnUrl(const std::string& url) {
  std::string rest = url;
  auto scheme = rest.find("://");
  if (scheme != std::string::npos) rest = rest.substr(scheme + 3);
  auto at = rest.rfind('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);
  rest = rest.substr(0, rest.find_first_of("/?"));
  std::string host = rest;
  int port = 5432;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    host = rest.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    if (close != std::string::npos && close + 1 < rest.size() && rest[close + 1] == ':') {
      if (!absl::SimpleAtoi(rest.substr(close + 2), &port)) port = 0;
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    if (!absl::SimpleAtoi(rest.substr(colon + 1), &port)) port = 0;
  }
  return {host, port};
}

}  // namespace

bool Member::NoFailover() const { return FailoverPriority() <= 0; }

int Member::FailoverPriority() const {
  if (tags.is_object() && tags.contains("nofailover") && Truthy(tags["nofailover"])) return 0;
  return IntTag(tags, "failover_priority").value_or(1);
}

bool Member::NoSync() const {
  if (tags.is_object() && tags.contains("nosync") && Truthy(tags["nosync"])) return true;
  if (tags.is_object() && tags.contains("nostream") && Truthy(tags["nostream"])) return true;
  auto p = IntTag(tags, "sync_priority");
  return p && *p <= 0;
}

bool Member::NoStream() const {
  return tags.is_object() && tags.contains("nostream") && Truthy(tags["nostream"]);
}

bool Member::CloneFrom() const {
  return tags.is_object() && tags.contains("clonefrom") && Truthy(tags["clonefrom"]);
}

bool Member::NoLoadBalance() const {
  return tags.is_object() && tags.contains("noloadbalance") && Truthy(tags["noloadbalance"]);
}

std::string Member::ReplicateFrom() const {
  if (tags.is_object() && tags.contains("replicatefrom") && tags["replicatefrom"].is_string()) {
    return tags["replicatefrom"].get<std::string>();
  }
  return "";
}

int Member::SyncPriority() const { return IntTag(tags, "sync_priority").value_or(1); }

std::string Member::Host() const { return ParseConnUrl(conn_url).first; }
int Member::Port() const { return ParseConnUrl(conn_url).second; }

bool SyncState::Contains(const std::string& name) const {
  return std::any_of(sync_standby.begin(), sync_standby.end(), [&](const std::string& s) {
    return absl::EqualsIgnoreCase(s, name);
  });
}

bool SyncState::LeaderIs(const std::string& name) const {
  return absl::EqualsIgnoreCase(leader, name);
}

std::string TagText(const Json& value) {
  return value.is_string()
             ? value.get<std::string>()
             : absl::AsciiStrToLower(value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::optional<int64_t> ClusterState::MemberLag(const Member& member) const {
  if (!member.xlog_location) return std::nullopt;
  int64_t leader = static_cast<int64_t>(LastLeaderOptime());
  int64_t mine = static_cast<int64_t>(*member.xlog_location);
  return leader >= mine ? leader - mine : 0;
}

const Member* ClusterState::FindMember(const std::string& name) const {
  for (const auto& m : members) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const Member* ClusterState::LeaderMember() const {
  return leader ? FindMember(leader->name) : nullptr;
}

bool ClusterState::IsPaused() const {
  return config && config->data.is_object() && config->data.contains("pause") &&
         Truthy(config->data["pause"]);
}

bool ClusterState::IsSynchronousMode() const {
  if (!config || !config->data.is_object() || !config->data.contains("synchronous_mode")) {
    return false;
  }
  const Json& v = config->data["synchronous_mode"];
  if (v.is_string() && absl::AsciiStrToLower(v.get<std::string>()) == "quorum") return true;
  return Truthy(v);
}

bool ClusterState::IsStandbyCluster() const {
  if (!config || !config->data.is_object() || !config->data.contains("standby_cluster")) return false;
  const Json& s = config->data["standby_cluster"];
  if (!s.is_object()) return false;
  // Patroni's is_standby_cluster: host, port or restore_command set to something (Python truth).
  for (const char* key : {"host", "port", "restore_command"}) {
    auto it = s.find(key);
    if (it == s.end()) continue;
    if ((it->is_string() && !it->get<std::string>().empty()) || (it->is_number() && it->get<double>() != 0) ||
        (it->is_boolean() && it->get<bool>()) || ((it->is_object() || it->is_array()) && !it->empty())) {
      return true;
    }
  }
  return false;
}

bool ClusterState::IsQuorumCommitMode() const {
  if (!config || !config->data.is_object() || !config->data.contains("synchronous_mode")) {
    return false;
  }
  const Json& v = config->data["synchronous_mode"];
  return v.is_string() && absl::AsciiStrToLower(v.get<std::string>()) == "quorum";
}

int ClusterState::Timeline() const {
  if (!history) return 0;
  if (history->entries.empty()) return 1;  // "[]": Patroni reads timeline 1
  return history->entries.back().timeline + 1;
}

}  // namespace pgha::dcs
