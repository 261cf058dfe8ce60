// Who may call unsafe REST methods: basic auth, the allowlist, TLS client certificates.
#ifndef PGHA_API_ACCESS_H_
#define PGHA_API_ACCESS_H_

#include <optional>
#include <string>
#include <vector>

#include "pgha/config/config.h"
#include "pgha/dcs/cluster_state.h"

namespace pgha::api::internal {

// An address range: an IPv4/IPv6 network, or a single resolved address.
struct Network {
  std::vector<unsigned char> address;  // 4 or 16 bytes
  int prefix = 0;
  bool Contains(const std::string& ip) const;
};

// Parses "10.0.0.0/8", "::1", a host name (resolved) into networks; bad entries are logged.
std::vector<Network> BuildAllowlist(const std::vector<std::string>& entries);
// The networks of the members' api_url hosts (allowlist_include_members).
std::vector<Network> MemberNetworks(const dcs::ClusterState& cluster);

// "Basic base64(user:password)" for `auth`; compared in constant time.
bool CheckBasicAuth(const std::string& header, const config::BasicAuth& auth);

std::string Base64Encode(const std::string& in);

}  // namespace pgha::api::internal

#endif  // PGHA_API_ACCESS_H_
