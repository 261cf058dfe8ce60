#include "node_config.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace pgha::testing {

std::string PostgresBinDir() {
  const std::string dir = "/usr/lib/postgresql/15/bin";
  return ::access((dir + "/postgres").c_str(), X_OK) == 0 ? dir : "";
}

std::string NodeYaml(const NodeSpec& s) {
  std::string bin = s.bin_dir.empty() ? PostgresBinDir() : s.bin_dir;
  return absl::StrCat(
      "scope: ", s.scope, "\n",
      "namespace: /service/\n",
      "name: ", s.name, "\n",
      "log:\n  level: INFO\n",
      s.log_dir.empty() ? "" : absl::StrCat("  dir: ", s.log_dir, "\n"),
      "restapi:\n",
      "  listen: 127.0.0.1:", s.api_port, "\n",
      "  connect_address: 127.0.0.1:", s.api_port, "\n",
      s.restapi_extra,
      s.dcs_yaml.empty() ? "etcd3:\n  hosts: 127.0.0.1:2379\n" : s.dcs_yaml,
      "bootstrap:\n",
      "  dcs:\n",
      "    ttl: ", s.ttl, "\n",
      "    loop_wait: ", s.loop_wait, "\n",
      "    retry_timeout: ", s.retry_timeout, "\n",
      "    maximum_lag_on_failover: 1048576\n",
      s.synchronous_mode ? "    synchronous_mode: true\n" : "",
      "    postgresql:\n",
      "      use_pg_rewind: true\n",
      "      use_slots: true\n",
      "      parameters:\n",
      "        wal_level: ", s.wal_level, "\n",
      "        hot_standby: 'on'\n",
      "        wal_log_hints: 'on'\n",
      "        max_wal_senders: 10\n",
      "        max_replication_slots: 10\n",
      "        max_connections: 50\n",
      s.wal_keep,
      s.extra_dynamic,
      "  initdb:\n",
      "    - encoding: UTF8\n",
      "    - locale: C.UTF-8\n",
      "    - data-checksums\n",
      s.extra_bootstrap,
      "postgresql:\n",
      "  listen: 127.0.0.1:", s.pg_port, "\n",
      "  connect_address: 127.0.0.1:", s.pg_port, "\n",
      "  data_dir: ", s.dir, "/data\n",
      "  bin_dir: ", bin, "\n",
      "  pgpass: ", s.dir, "/pgpass\n",
      "  authentication:\n",
      "    superuser:\n      username: postgres\n      password: 'super secret'\n",
      "    replication:\n      username: replicator\n      password: rep-pass\n",
      "    rewind:\n      username: rewinder\n      password: rewind-pass\n",
      "  parameters:\n",
      "    unix_socket_directories: '", s.dir, "'\n",
      "    shared_buffers: 16MB\n",
      "    fsync: 'off'\n",
      s.extra_parameters,
      "  pg_hba:\n",
      "    - local all all trust\n",
      "    - host all all 127.0.0.1/32 scram-sha-256\n",
      "    - host replication all 127.0.0.1/32 scram-sha-256\n",
      s.extra_postgresql,
      s.tags_yaml.empty() ? "" : absl::StrCat("tags:\n", s.tags_yaml),
      s.extra_top);
}

}  // namespace pgha::testing
