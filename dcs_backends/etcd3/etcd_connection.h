// Endpoints, channels, authentication and the retry policy of the etcd backend.
//
// Thread-safety: all methods are safe to call concurrently.
#ifndef PGHA_BACKENDS_ETCD3_ETCD_CONNECTION_H_
#define PGHA_BACKENDS_ETCD3_ETCD_CONNECTION_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "etcd/rpc.grpc.pb.h"

namespace pgha::backends::etcd {

struct ConnectionOptions {
  std::vector<std::string> endpoints;  // host:port
  bool discover_members = true;        // extend endpoints from MemberList
  bool tls = false;
  std::string ca_pem, cert_pem, key_pem;  // file contents
  std::string username, password;
  absl::Duration retry_timeout = absl::Seconds(10);
};

// What one call needs: stubs bound to the current endpoint's channel and the auth token.
struct Endpoint {
  std::string address;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch;
  std::unique_ptr<etcdserverpb::Cluster::Stub> cluster;
  std::unique_ptr<etcdserverpb::Auth::Stub> auth;
};

class Connection {
 public:
  explicit Connection(ConnectionOptions options);

  void SetRetryTimeout(absl::Duration d);
  absl::Duration retry_timeout() const;

  using Call = std::function<grpc::Status(Endpoint&, grpc::ClientContext&)>;
  // Runs `call` on the current endpoint within the retry budget. An endpoint that cannot be
  // connected to is skipped before anything is sent. After a request was sent, a transport
  // failure is retried on another endpoint only when `may_resend` (reads, keep-alives);
  // writes report kUnavailable and leave the decision to the caller.
  absl::Status Run(const std::string& what, bool may_resend, const Call& call);

  // The current endpoint (for streams the caller manages), and the token to attach.
  std::shared_ptr<Endpoint> Current();
  void AddAuth(grpc::ClientContext& ctx);
  // Moves on after a failure seen outside Run (a broken watch stream).
  void Rotate(const std::shared_ptr<Endpoint>& failed);

 private:
  std::shared_ptr<Endpoint> Connect(const std::string& address);
  absl::Status Authenticate(Endpoint& endpoint);
  void DiscoverMembers(Endpoint& endpoint);

  const ConnectionOptions options_;
  mutable std::mutex mu_;
  std::vector<std::string> endpoints_;   // guarded by mu_
  size_t index_ = 0;                     // guarded by mu_
  std::shared_ptr<Endpoint> current_;    // guarded by mu_
  std::string token_;                    // guarded by mu_
  absl::Duration retry_timeout_;         // guarded by mu_
  bool discovered_ = false;              // guarded by mu_
};

// etcd's gRPC status mapped to what the caller should do (see dcs/backend.h).
absl::Status ToStatus(const std::string& what, const grpc::Status& status);

// gRPC's deadline (system clock) for a monotonic deadline.
std::chrono::system_clock::time_point ToGrpcDeadline(absl::Time monotonic_deadline);

// A lease id as it appears in RawEntry::session.
std::string LeaseHex(int64_t id);

}  // namespace pgha::backends::etcd

#endif  // PGHA_BACKENDS_ETCD3_ETCD_CONNECTION_H_
