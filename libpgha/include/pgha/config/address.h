// host:port strings as Patroni's configuration writes them ("10.0.0.1:8008", "[::1]:5432",
// "*:8008", "0.0.0.0,::1:5432" for postgresql.listen).
#ifndef PGHA_CONFIG_ADDRESS_H_
#define PGHA_CONFIG_ADDRESS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pgha::config {

struct HostPort {
  std::string host;  // without IPv6 brackets
  int port = 0;
  std::string ToString() const;  // brackets IPv6 literals again
};

// Splits "host:port". `default_port` is used when the port is missing; 0 makes a missing port
// an error. kInvalidArgument names what is wrong.
absl::StatusOr<HostPort> ParseHostPort(const std::string& text, int default_port = 0);

// postgresql.listen: "h1,h2:port" (several hosts share one port).
absl::StatusOr<std::vector<HostPort>> ParseListenAddresses(const std::string& text);

// True for 0.0.0.0, ::, * and empty: addresses a server can bind but a client cannot reach.
bool IsWildcardHost(const std::string& host);
bool IsLoopbackHost(const std::string& host);

// Removes a leading "http://" or "https://" from `*url`. True when there was one; `*https` then
// tells which (DCS sections accept URLs where Patroni does: etcd url/proxy, consul url).
bool ConsumeHttpScheme(std::string* url, bool* https);

}  // namespace pgha::config

#endif  // PGHA_CONFIG_ADDRESS_H_
