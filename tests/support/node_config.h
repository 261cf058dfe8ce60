// Configuration files for test nodes on 127.0.0.1: a patroni.yml per node with its own ports,
// directories and credentials, as a DBA would write it.
#ifndef PGHA_TESTS_SUPPORT_NODE_CONFIG_H_
#define PGHA_TESTS_SUPPORT_NODE_CONFIG_H_

#include <string>
#include <vector>

namespace pgha::testing {

// Where PostgreSQL 15's programs are; "" when not installed.
std::string PostgresBinDir();

struct NodeSpec {
  std::string scope = "pgtest";
  std::string name;
  std::string dir;        // everything of this node lives here
  int pg_port = 0;
  int api_port = 0;
  std::string dcs_yaml;   // e.g. "etcd3:\n  hosts: 127.0.0.1:2379\n"
  std::string bin_dir;    // default PostgresBinDir()
  int ttl = 10;
  int loop_wait = 1;
  int retry_timeout = 3;
  bool synchronous_mode = false;
  std::string extra_dynamic;   // YAML lines appended under bootstrap.dcs (indented 4)
  std::string extra_bootstrap;  // YAML lines appended under bootstrap (indented 2)
  // The WAL retention line of bootstrap.dcs.postgresql.parameters (pg_rewind reads the old
  // primary's WAL back to the last common checkpoint).
  std::string wal_keep = "        wal_keep_size: 128MB\n";
  // wal_level is one of the parameters only the DCS sets (Patroni's rule).
  std::string wal_level = "replica";
  std::string extra_postgresql;  // YAML lines appended under postgresql (indented 2)
  std::string extra_parameters;  // YAML lines appended under postgresql.parameters (indented 4)
  std::string extra_top;         // YAML appended at the top level
  std::string restapi_extra;     // YAML lines under restapi (indented 2)
  std::string log_dir;           // log.dir; logs go to stderr (the harness's file) when empty
  std::string tags_yaml;         // YAML lines under tags (indented 2); no tags section if empty
};

// The YAML text of a node's configuration.
std::string NodeYaml(const NodeSpec& spec);

}  // namespace pgha::testing

#endif  // PGHA_TESTS_SUPPORT_NODE_CONFIG_H_
