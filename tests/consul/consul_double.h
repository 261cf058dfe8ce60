// An in-process double of a Consul agent's HTTP API, for tests on machines without Consul
// (Debian ships no Consul server). Written from Consul's HTTP API documentation and its state
// store's rules; consul_double_test.cc checks those rules against the double itself.
//
// What it serves, on 127.0.0.1:port() (httplib):
//   /v1/kv/<key>    GET (?recurse, blocking ?index=&wait=, ?consistent/?stale), PUT (?cas=,
//                   ?acquire=, ?release=, ?flags=; cas/acquire/release are mutually exclusive),
//                   DELETE (?recurse or ?cas=). Entries carry Key, base64 Value (null when
//                   empty), Flags, CreateIndex, ModifyIndex, LockIndex, Session; X-Consul-Index.
//   /v1/txn         PUT: KV verbs set, cas, lock, unlock, get, check-index, check-not-exists,
//                   delete, delete-cas, delete-tree (other verbs fail as unknown); all or
//                   nothing at one index; 200 with Results, 409 with Errors.
//   /v1/session/    create (TTL within [session_ttl_min, 24h], Behavior release|delete,
//                   LockDelay, Name, Node, Checks), renew/<id> (404 when unknown),
//                   destroy/<id>, info/<id>.
//   /v1/agent/      service/register, service/deregister/<id> (ServiceRegistration() shows
//                   what was registered).
//   /v1/status/leader.
// Indexes follow Consul: one raft-like counter for every write; a key's ModifyIndex is the
// write's index; a prefix's X-Consul-Index is the newest ModifyIndex or tombstone under it (the
// whole KV table's index when there is none); a missing key answers 404 with the table index.
// Sessions are invalidated session_ttl_multiplier x TTL after their last renewal (Consul: 2x),
// then delete or release their keys and start each key's lock delay. Stop() pauses the timers;
// Start() re-arms them at full length (as a new Consul leader does).
//
// Simplifications: one node, one datacenter, no health-check execution; with acl_token set
// every request (except /v1/status/) needs exactly that token (403 otherwise), where real Consul
// would filter list results by policy.
//
// Thread-safety: all public methods are safe to call from any thread.
#ifndef PGHA_TESTS_CONSUL_CONSUL_DOUBLE_H_
#define PGHA_TESTS_CONSUL_CONSUL_DOUBLE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"

namespace pgha::testing {

struct ConsulDoubleOptions {
  std::string acl_token;                               // "" = ACLs off
  absl::Duration session_ttl_min = absl::Seconds(10);  // Consul's default session_ttl_min
  int session_ttl_multiplier = 2;                      // Consul invalidates at 2x TTL
  bool wait_jitter = true;  // blocking queries may run up to wait/16 longer, as in Consul
  std::string datacenter = "dc1";
  std::string node_name = "consul-double";
};

class ConsulDouble {
 public:
  explicit ConsulDouble(ConsulDoubleOptions options = {});
  ~ConsulDouble();
  ConsulDouble(const ConsulDouble&) = delete;
  ConsulDouble& operator=(const ConsulDouble&) = delete;

  // Serves on 127.0.0.1:port() until Stop(); returns once it accepts connections. Throws
  // std::runtime_error when the port is taken.
  void Start();
  // Stops answering: connections are refused, blocked queries end. Keeps data, sessions and the
  // port for the next Start().
  void Stop();

  int port() const;

  // For tests: the number of live sessions, of requests waiting in a blocking query, and the
  // JSON body of the last registration of a service id ("" when not registered).
  size_t SessionCount() const;
  size_t BlockedQueries() const;
  std::string ServiceRegistration(const std::string& id) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pgha::testing

#endif  // PGHA_TESTS_CONSUL_CONSUL_DOUBLE_H_
