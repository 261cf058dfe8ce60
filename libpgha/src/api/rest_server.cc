// The REST server: routing, access control, limits. Action handlers are in actions.cc.
#include "pgha/api/rest_server.h"

#include <httplib.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "access.h"
#include "actions.h"
#include "connection_threads.h"
#include "pgha/api/health.h"
#include "pgha/api/json_format.h"
#include "pgha/api/status_views.h"
#include "pgha/base/log.h"
#include "pgha/config/address.h"

namespace pgha::api {
namespace {

using internal::Reply;

constexpr int kMaxConnectionThreads = 512;

class HttpRestServer final : public RestServer {
 public:
  explicit HttpRestServer(RestServerOptions o)
      : o_(std::move(o)), clock_(o_.clock != nullptr ? o_.clock : RealClock::Get()) {
    allowlist_ = internal::BuildAllowlist(o_.config.allowlist);
  }

  ~HttpRestServer() override { Stop(); }

  absl::Status Init() {
    const auto& c = o_.config;
    if (c.tls()) {
      bool optional_client_cert = c.verify_client == "optional";
      bool required_client_cert = c.verify_client == "required";
      std::string cert = c.certfile, key = c.keyfile.empty() ? c.certfile : c.keyfile,
                  ca = c.cafile;
      std::string password = c.keyfile_password;
      auto ssl = std::make_unique<httplib::SSLServer>([=](SSL_CTX& ctx) {
        if (!password.empty()) {
          SSL_CTX_set_default_passwd_cb_userdata(&ctx, const_cast<char*>(password.c_str()));
        }
        if (SSL_CTX_use_certificate_chain_file(&ctx, cert.c_str()) != 1) return false;
        if (SSL_CTX_use_PrivateKey_file(&ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) return false;
        if (!ca.empty()) {
          if (SSL_CTX_load_verify_locations(&ctx, ca.c_str(), nullptr) != 1) return false;
          int mode = SSL_VERIFY_PEER;
          if (required_client_cert) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
          if (required_client_cert || optional_client_cert) SSL_CTX_set_verify(&ctx, mode, nullptr);
        }
        return true;
      });
      if (!ssl->is_valid()) {
        return absl::InvalidArgumentError(absl::StrCat("restapi: cannot load certfile ", cert,
                                                       " / keyfile ", key,
                                                       ca.empty() ? "" : " / cafile " + ca));
      }
      server_ = std::move(ssl);
    } else {
      server_ = std::make_unique<httplib::Server>();
    }
    auto& s = *server_;
    // A thread per connection (see connection_threads.h), up to a cap far above what a
    // cluster's members, load balancers and monitoring open.
    s.new_task_queue = [] { return new internal::ConnectionThreads(kMaxConnectionThreads); };
    // Idle or slow clients are dropped soon: short timeouts, small bodies.
    s.set_keep_alive_timeout(2);
    s.set_keep_alive_max_count(1000);
    s.set_read_timeout(5, 0);
    s.set_write_timeout(5, 0);
    s.set_payload_max_length(1 << 20);
    s.set_tcp_nodelay(true);
    s.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          internal::JsonError(res, 500, "internal error");
        });
    Route();
    auto listen = config::ParseListenAddresses(c.listen);
    if (!listen.ok() || listen->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("restapi.listen: ", listen.status().message()));
    }
    std::string host = listen->front().host;
    if (host == "*") host = "0.0.0.0";
    port_ = listen->front().port;
    // httplib's default sets SO_REUSEPORT, which lets a second daemon bind the same port and
    // take half of the health checks: SO_REUSEADDR only, so that an occupied port is an error.
    s.set_socket_options([this](int fd) {
      int yes = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      listen_fd_ = fd;
    });
    if (!s.bind_to_port(host, port_)) {
      return absl::UnavailableError(absl::StrCat(
          "cannot listen on ", c.listen, " (restapi.listen): address in use or not available"));
    }
    // Patroni's request_queue_size is the listen backlog; httplib's is fixed at 5, and Linux
    // takes a second listen() as a new backlog.
    if (listen_fd_ >= 0) ::listen(listen_fd_, c.request_queue_size);
    thread_ = std::thread([this] {
      bool clean = server_->listen_after_bind();
      listen_returned_ = true;
      // httplib gives up on accept errors other than EMFILE/EINTR/EAGAIN (ENFILE, ENOBUFS):
      // health checks then fail, and that must be in the log.
      if (!clean && !stopped_) {
        PGHA_LOG(CRITICAL) << "the REST API stopped accepting connections on " << o_.config.listen
                           << " (accept failed)";
      }
    });
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    if (thread_.joinable()) {
      // httplib's stop() does nothing until its loop has started: a stop right after Start
      // would leave the loop blocked in accept() forever.
      while (!server_->is_running() && !listen_returned_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      server_->stop();
      thread_.join();
    }
  }

 private:
  std::shared_ptr<const ha::NodeStatus> Status() const { return o_.board->Current(); }

  void AddHeaders(httplib::Response& res) const {
    for (const auto& [k, v] : o_.config.http_extra_headers) res.set_header(k, v);
    if (o_.config.tls()) {
      for (const auto& [k, v] : o_.config.https_extra_headers) res.set_header(k, v);
    }
  }

  // Basic auth, allowlist and client certificates for unsafe methods (Patroni's check_access).
  bool Allowed(const httplib::Request& req, httplib::Response& res) {
    if (!allowlist_.empty() || o_.config.allowlist_include_members) {
      std::vector<internal::Network> nets = allowlist_;
      if (o_.config.allowlist_include_members) {
        auto st = Status();
        if (st->cluster) {
          auto members = internal::MemberNetworks(*st->cluster);
          nets.insert(nets.end(), members.begin(), members.end());
        }
      }
      bool ok = false;
      for (const auto& n : nets) ok = ok || n.Contains(req.remote_addr);
      if (!ok) {
        internal::Text(res, 403, "Access is denied");
        return false;
      }
    }
    if (o_.config.tls() &&
        (o_.config.verify_client == "required" || o_.config.verify_client == "optional")) {
      X509* peer =
          req.ssl != nullptr ? SSL_get_peer_certificate(const_cast<SSL*>(req.ssl)) : nullptr;
      if (peer == nullptr) {
        internal::Text(res, 403, "client certificate required");
        return false;
      }
      X509_free(peer);
    }
    if (o_.config.authentication) {
      std::string header = req.get_header_value("Authorization");
      if (header.empty() || !internal::CheckBasicAuth(header, *o_.config.authentication)) {
        res.set_header("WWW-Authenticate", "Basic realm=\"Patroni\"");
        internal::Text(res, 401, header.empty() ? "no auth header received" : "not authenticated");
        return false;
      }
    }
    return true;
  }

  void Get(const httplib::Request& req, httplib::Response& res, bool status_only) {
    auto st = Status();
    std::string path = req.path;
    QueryParams query(req.params.begin(), req.params.end());
    if (path == "/patroni") {
      if (!o_.live_positions) return internal::Json(res, 200, PatroniStatus(*st), status_only);
      return internal::Json(res, 200, PatroniStatus(WithLivePositions(*st, o_.live_positions())),
                            status_only);
    }
    if (path == "/cluster") {
      return internal::Json(res, 200,
                            st->cluster ? ClusterView(*st->cluster)
                                        : ::pgha::Json{{"members", ::pgha::Json::array()}},
                            status_only);
    }
    if (path == "/history") {
      return internal::Json(
          res, 200, st->cluster ? HistoryView(*st->cluster) : ::pgha::Json::array(), status_only);
    }
    if (path == "/config") {
      if (!st->cluster || !st->cluster->config)
        return internal::JsonError(res, 502, "no dynamic configuration in the DCS");
      return internal::Json(res, 200, st->cluster->config->data, status_only);
    }
    if (path == "/metrics") {
      res.status = 200;
      if (!status_only) res.set_content(MetricsText(*st), "text/plain");
      return;
    }
    if (path == "/liveness") {
      res.status = LivenessStatusCode(*st, clock_->Now(), o_.ttl());
      return;
    }
    if (path == "/readiness") {
      res.status = ReadinessStatusCode(*st);
      return;
    }
    if (path == "/failsafe") {
      if (!st->failsafe_mode || !st->cluster || !st->cluster->failsafe) {
        return internal::JsonError(res, 502, "failsafe mode is not enabled");
      }
      ::pgha::Json members = ::pgha::Json::object();
      for (const auto& [name, url] : *st->cluster->failsafe) members[name] = url;
      return internal::Json(res, 200, members, status_only);
    }
    int code = HealthStatusCode(path, query, *st);
    internal::Json(res, code, PatroniStatus(*st), status_only);
  }

  void Route() {
    auto& s = *server_;
    s.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
      AddHeaders(res);
      Get(req, res, req.method == "HEAD");
    });
    s.Options(".*", [this](const httplib::Request& req, httplib::Response& res) {
      AddHeaders(res);
      Get(req, res, true);
    });
    internal::ActionContext ctx{&o_, clock_};
    auto unsafe = [this,
                   ctx](Reply (*handler)(const internal::ActionContext&, const httplib::Request&)) {
      return [this, ctx, handler](const httplib::Request& req, httplib::Response& res) {
        AddHeaders(res);
        if (!Allowed(req, res)) return;
        Reply r = handler(ctx, req);
        internal::Send(res, r);
      };
    };
    s.Post("/switchover", unsafe(internal::PostSwitchover));
    s.Post("/failover", unsafe(internal::PostFailover));
    s.Delete("/switchover", unsafe(internal::DeleteSwitchover));
    s.Post("/restart", unsafe(internal::PostRestart));
    s.Delete("/restart", unsafe(internal::DeleteRestart));
    s.Post("/reload", unsafe(internal::PostReload));
    s.Post("/reinitialize", unsafe(internal::PostReinitialize));
    s.Patch("/config", unsafe(internal::PatchConfig));
    s.Put("/config", unsafe(internal::PutConfig));
    s.Post("/citus", unsafe(internal::NotSupported));
    s.Post("/mpp", unsafe(internal::NotSupported));
    s.Post("/failsafe", unsafe(internal::PostFailsafe));
    auto unknown = [this](const httplib::Request& req, httplib::Response& res) {
      AddHeaders(res);
      if (!Allowed(req, res)) return;
      internal::JsonError(res, 404, absl::StrCat("no ", req.method, " handler for ", req.path));
    };
    s.Post(".*", unknown);
    s.Put(".*", unknown);
    s.Patch(".*", unknown);
    s.Delete(".*", unknown);
  }

  RestServerOptions o_;
  Clock* clock_;
  std::vector<internal::Network> allowlist_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> listen_returned_{false};
  int listen_fd_ = -1;  // the listening socket, owned by httplib
};

}  // namespace

absl::StatusOr<std::unique_ptr<RestServer>> RestServer::Start(RestServerOptions options) {
  auto server = std::make_unique<HttpRestServer>(std::move(options));
  absl::Status s = server->Init();
  if (!s.ok()) return s;
  return std::unique_ptr<RestServer>(std::move(server));
}

}  // namespace pgha::api
