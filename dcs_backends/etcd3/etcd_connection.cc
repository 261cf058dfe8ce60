#include "etcd_connection.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "pgha/base/clock.h"
#include "pgha/base/log.h"
#include "pgha/dcs/call_budget.h"

namespace pgha::backends::etcd {
namespace {

bool IsTransportFailure(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE ||
         s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

bool IsAuthFailure(const grpc::Status& s) {
  if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED) return true;
  const std::string& m = s.error_message();
  return absl::StrContains(m, "invalid auth token") || absl::StrContains(m, "auth: revision") ||
         absl::StrContains(m, "user name is empty");
}

std::string StripScheme(std::string url) {
  for (const char* scheme : {"http://", "https://", "unix://"}) {
    if (absl::StartsWith(url, scheme)) url = url.substr(std::string(scheme).size());
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

// gRPC takes system_clock deadlines; ours are monotonic: convert through the time left.
std::chrono::system_clock::time_point ToGrpcDeadline(absl::Time monotonic_deadline) {
  absl::Duration left = std::max(absl::ZeroDuration(), monotonic_deadline - MonotonicNow());
  left = std::min(left, absl::Hours(24));  // an infinite deadline stays representable
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(absl::ToChronoNanoseconds(left));
}

std::string LeaseHex(int64_t id) { return absl::StrFormat("%x", static_cast<uint64_t>(id)); }

absl::Status ToStatus(const std::string& what, const grpc::Status& s) {
  std::string message = absl::StrCat(what, ": ", s.error_message());
  switch (s.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::NOT_FOUND:
      return absl::NotFoundError(message);
    case grpc::StatusCode::PERMISSION_DENIED:
      return absl::PermissionDeniedError(message);
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::UnauthenticatedError(message);
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
      if (IsAuthFailure(s)) return absl::UnauthenticatedError(message);
      return absl::InvalidArgumentError(message);
    default:
      // Transport failures, leader elections inside etcd, overload: all "try again later".
      return absl::UnavailableError(message);
  }
}

Connection::Connection(ConnectionOptions options)
    : options_(std::move(options)),
      endpoints_(options_.endpoints),
      retry_timeout_(options_.retry_timeout) {}

void Connection::SetRetryTimeout(absl::Duration d) {
  std::lock_guard<std::mutex> lock(mu_);
  retry_timeout_ = d;
}

absl::Duration Connection::retry_timeout() const {
  std::lock_guard<std::mutex> lock(mu_);
  return retry_timeout_;
}

std::shared_ptr<Endpoint> Connection::Connect(const std::string& address) {
  grpc::ChannelArguments args;
  // Reconnect quickly after etcd comes back: gRPC's default backoff grows to two minutes.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (options_.tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options_.ca_pem;
    ssl.pem_private_key = options_.key_pem;
    ssl.pem_cert_chain = options_.cert_pem;
    creds = grpc::SslCredentials(ssl);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  auto e = std::make_shared<Endpoint>();
  e->address = address;
  e->channel = grpc::CreateCustomChannel(address, creds, args);
  e->kv = etcdserverpb::KV::NewStub(e->channel);
  e->lease = etcdserverpb::Lease::NewStub(e->channel);
  e->watch = etcdserverpb::Watch::NewStub(e->channel);
  e->cluster = etcdserverpb::Cluster::NewStub(e->channel);
  e->auth = etcdserverpb::Auth::NewStub(e->channel);
  return e;
}

std::shared_ptr<Endpoint> Connection::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!current_) current_ = Connect(endpoints_[index_ % endpoints_.size()]);
  return current_;
}

void Connection::Rotate(const std::shared_ptr<Endpoint>& failed) {
  std::lock_guard<std::mutex> lock(mu_);
  if (current_ != failed || endpoints_.size() <= 1) return;
  index_ = (index_ + 1) % endpoints_.size();
  PGHA_LOG(WARNING) << "etcd endpoint " << failed->address << " failed; trying "
                    << endpoints_[index_];
  current_ = Connect(endpoints_[index_]);
}

void Connection::AddAuth(grpc::ClientContext& ctx) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!token_.empty()) ctx.AddMetadata("token", token_);
}

absl::Status Connection::Authenticate(Endpoint& endpoint) {
  grpc::ClientContext ctx;
  ctx.set_deadline(ToGrpcDeadline(dcs::CallDeadline(retry_timeout())));
  etcdserverpb::AuthenticateRequest req;
  req.set_name(options_.username);
  req.set_password(options_.password);
  etcdserverpb::AuthenticateResponse resp;
  grpc::Status s = endpoint.auth->Authenticate(&ctx, req, &resp);
  if (!s.ok()) return ToStatus("etcd authenticate", s);
  std::lock_guard<std::mutex> lock(mu_);
  token_ = resp.token();
  return absl::OkStatus();
}

void Connection::DiscoverMembers(Endpoint& endpoint) {
  grpc::ClientContext ctx;
  AddAuth(ctx);
  ctx.set_deadline(ToGrpcDeadline(MonotonicNow() + absl::Seconds(2)));
  etcdserverpb::MemberListRequest req;
  etcdserverpb::MemberListResponse resp;
  if (!endpoint.cluster->MemberList(&ctx, req, &resp).ok()) return;
  std::set<std::string> seen;
  std::vector<std::string> found;
  for (const auto& m : resp.members()) {
    for (const auto& url : m.clienturls()) {
      std::string address = StripScheme(url);
      if (seen.insert(address).second) found.push_back(address);
    }
  }
  if (found.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  // Keep the endpoint in use first so that nothing reconnects needlessly.
  std::vector<std::string> merged = {endpoint.address};
  for (const auto& a : found) {
    if (a != endpoint.address) merged.push_back(a);
  }
  for (const auto& a : options_.endpoints) {
    if (std::find(merged.begin(), merged.end(), a) == merged.end()) merged.push_back(a);
  }
  endpoints_ = merged;
  index_ = 0;
}

absl::Status Connection::Run(const std::string& what, bool may_resend, const Call& call) {
  absl::Time deadline = dcs::CallDeadline(retry_timeout());
  bool reauthenticated = false;
  std::string last_error = "no endpoint answered";
  size_t connect_failures = 0;
  while (true) {
    absl::Time now = MonotonicNow();
    if (now >= deadline) {
      return absl::UnavailableError(absl::StrCat(what, ": etcd unavailable (", last_error, ")"));
    }
    std::shared_ptr<Endpoint> endpoint = Current();
    // Connect first, so that an endpoint that is down is skipped before a write is sent.
    absl::Time connect_by = std::min(deadline, now + absl::Milliseconds(connect_failures < 3 ? 1000 : 300));
    if (!endpoint->channel->WaitForConnected(ToGrpcDeadline(connect_by))) {
      last_error = absl::StrCat("cannot connect to ", endpoint->address);
      ++connect_failures;
      Rotate(endpoint);
      continue;
    }
    bool discover = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      discover = options_.discover_members && !discovered_;
      discovered_ = true;
    }
    bool need_auth = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      need_auth = !options_.username.empty() && token_.empty();
    }
    if (need_auth) {
      absl::Status auth = Authenticate(*endpoint);
      if (!auth.ok()) return auth;
    }
    if (discover) DiscoverMembers(*endpoint);
    grpc::ClientContext ctx;
    AddAuth(ctx);
    ctx.set_deadline(ToGrpcDeadline(deadline));
    grpc::Status s = call(*endpoint, ctx);
    if (s.ok()) return absl::OkStatus();
    if (IsAuthFailure(s) && !options_.username.empty() && !reauthenticated) {
      // The token expired or was revoked: the request was refused, so it is safe to resend.
      reauthenticated = true;
      absl::Status auth = Authenticate(*endpoint);
      if (!auth.ok()) return auth;
      continue;
    }
    if (IsTransportFailure(s)) {
      last_error = absl::StrCat(endpoint->address, ": ", s.error_message());
      Rotate(endpoint);
      if (may_resend) continue;
      return absl::UnavailableError(absl::StrCat(what, ": ", last_error));
    }
    return ToStatus(what, s);
  }
}

}  // namespace pgha::backends::etcd
