// A DCS named by URL, as patronictl's `-d/--dcs-url` takes it (its parse_dcs); pghactl and
// pgha::client::Client::FromDcsUrl use it. "etcd3://10.0.0.1:2379/service", "zookeeper://zk:2181",
// "consul://localhost", "localhost:8500" (no scheme: picked by the default port, else etcd).
// The path, when there is one, is the namespace (Patroni 3.2+). The result replaces every DCS
// section of the configuration file.
//
// Thread-safety: pure functions.
#ifndef PGHA_CONFIG_DCS_URL_H_
#define PGHA_CONFIG_DCS_URL_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "pgha/config/config.h"

namespace pgha::config {

struct DcsUrl {
  std::string scheme;  // zookeeper, consul, etcd or etcd3
  std::string host;    // "localhost" when the URL names none
  int port = 0;        // the scheme's default port when the URL names none
  std::optional<std::string> namespace_;
};

// kInvalidArgument "Unknown dcs scheme: x" as patronictl words it; exhibitor (known to
// patronictl) is refused because pgha has no exhibitor backend.
absl::StatusOr<DcsUrl> ParseDcsUrl(const std::string& url);

// The DCS section the URL stands for.
DcsConfig ToDcsConfig(const DcsUrl& url);

}  // namespace pgha::config

#endif  // PGHA_CONFIG_DCS_URL_H_
