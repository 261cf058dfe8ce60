// pgha::client: follow a Patroni/pgha cluster from a C++ service, without a proxy.
//
//   pgha::backends::RegisterEtcd3Backend();  // once: the DCS backends the service links
//   auto client = pgha::client::Client::FromConfigFile("/etc/patroni/config.yml");
//   auto view = (*client)->WaitForPrimary(absl::Seconds(30));
//   auto conninfo = pgha::client::PrimaryConnInfo(**view, {.dbname = "app"});
//   (*client)->OnChange([](const pgha::client::ClusterViewPtr& v) { ... });
//
// The client reads the cluster's keys in the DCS (read-only: it never writes and holds no
// session) and keeps the latest view. A background thread waits on the backend's watch (etcd
// watch, ZooKeeper watch, Consul blocking query) and reads the keys again only when they changed:
// no polling. When nothing changed for `ClientOptions::idle_reread` it reads once anyway, which
// is how it notices a DCS that stopped answering without closing the connection.
//
// What a caller sees:
//  - Switchover: the old primary releases the lock (view: primary unset, leader ""), the
//    candidate takes it (leader set, primary still unset while it promotes), then publishes
//    itself as primary (primary set). Each step is one OnChange call.
//  - Failover after a crash: the dead primary stays `primary` until its lock expires (ttl),
//    then as above. A connection to it fails in the meantime; reconnect when the view changes.
//  - DCS unreachable: the view keeps the last state read, with dcs_reachable = false, and the
//    client keeps retrying (1 s, doubling up to 8 s). The primary it shows may be stepping down
//    (a primary that cannot reach the DCS demotes within ttl unless failsafe_mode is on);
//    PrimaryConnInfo's target_session_attrs=read-write keeps libpq off a demoted node.
//
// Thread-safety: every method may be called from any thread. Callbacks run one at a time on the
// client's notifier thread, in view order, each subscriber in turn; a slow callback delays
// later callbacks, never the watch. The client may be destroyed from inside a callback. The
// destructor returns within a DCS call's retry_timeout. No exception crosses the API; errors are
// absl::Status.
#ifndef PGHA_CLIENT_CLIENT_H_
#define PGHA_CLIENT_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pgha/client/cluster_view.h"

namespace pgha::dcs {
class DcsBackend;
}

namespace pgha::client {

struct ClientOptions {
  // The budget of one DCS call (Patroni's retry_timeout).
  absl::Duration retry_timeout = absl::Seconds(10);
  // The longest the client goes without reading the DCS while no change is announced.
  absl::Duration idle_reread = absl::Seconds(30);
  // How long the constructors wait for the first read. The client is returned either way;
  // a failed first read leaves dcs_reachable = false and the background thread retries.
  absl::Duration first_read_timeout = absl::Seconds(10);
};

class Client {
 public:
  // Scope, namespace and the DCS section of a Patroni/pgha configuration file (or a directory
  // of them, as Patroni reads it; PATRONI_* environment variables apply). kInvalidArgument with
  // the file, line and key of a configuration problem, or when the file has no DCS section a
  // registered backend serves (register it first, see above).
  static absl::StatusOr<std::unique_ptr<Client>> FromConfigFile(const std::string& path,
                                                                const ClientOptions& options = {});
  // patronictl's --dcs-url form: "etcd3://10.0.0.1:2379", "zookeeper://zk:2181",
  // "consul://127.0.0.1:8500"; a path gives the namespace ("etcd3://h:2379/service").
  // kNotFound, naming the library and Register function, when no backend serves the scheme.
  static absl::StatusOr<std::unique_ptr<Client>> FromDcsUrl(const std::string& url,
                                                            const std::string& scope,
                                                            const ClientOptions& options = {});
  // Over a backend the caller built (a custom store, or a test that counts calls). `namespace_`
  // as in the configuration ("/service" when empty).
  static absl::StatusOr<std::unique_ptr<Client>> FromBackend(
      std::unique_ptr<dcs::DcsBackend> backend, const std::string& namespace_,
      const std::string& scope, const ClientOptions& options = {});

  virtual ~Client() = default;

  // The latest view. Never null: before the first successful read it is an empty view with
  // dcs_reachable = false.
  virtual ClusterViewPtr Current() const = 0;

  using CallbackId = uint64_t;
  // Calls `callback` with the current view soon after registration, then with every new view
  // (something in the cluster changed, or the DCS became unreachable or reachable again). A
  // callback still running when several views arrive is next given only the latest. An
  // exception a callback throws is logged and dropped.
  virtual CallbackId OnChange(std::function<void(const ClusterViewPtr&)> callback) = 0;
  // After it returns the callback is not running and is never called again. Must not be called
  // from inside a callback (kFailedPrecondition there); unknown ids are ignored.
  virtual absl::Status RemoveCallback(CallbackId id) = 0;

  // Blocks until the view has a primary (returns that view) or `timeout` passes
  // (kDeadlineExceeded, naming what the last view showed). While the DCS cannot be read it
  // returns the last primary read, at once: check dcs_reachable and read_at when a stale answer
  // matters. absl::InfiniteDuration() waits without a deadline.
  virtual absl::StatusOr<ClusterViewPtr> WaitForPrimary(absl::Duration timeout) = 0;
  // Blocks until a view newer than `sequence` is published, or `timeout` passes (returns the
  // current view either way).
  virtual ClusterViewPtr WaitForNewerThan(uint64_t sequence, absl::Duration timeout) = 0;
};

}  // namespace pgha::client

#endif  // PGHA_CLIENT_CLIENT_H_
