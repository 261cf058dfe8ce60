// The REST server: routing, access control, limits. Action handlers are in actions.cc.
#include "pgha/api/rest_server.h"

#include <httplib.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "actions.h"
#include "connection_threads.h"
#include "guarded_listener.h"
#include "pgha/base/log.h"
#include "pgha/base/status_macros.h"
#include "pgha/base/version.h"
#include "pgha/config/address.h"
#include "router.h"

namespace pgha::api {
namespace {

constexpr int kMaxConnectionThreads = 512;
constexpr int kMaxWaitingConnections = 512;

// restapi.server_tokens (Patroni 4.0): how much the Server header tells. Patroni's "Original"
// names its HTTP library and runtime (BaseHTTP/0.6 Python/3.11.2); pgha's names pgha and its
// HTTP library. "Minimal" gives the version, "ProductOnly" the name alone.
std::string ServerHeader(const std::string& server_tokens) {
  std::string tokens = absl::AsciiStrToLower(server_tokens);
  if (tokens == "productonly") return "pgha";
  std::string minimal = absl::StrCat("pgha/", kPghaVersion);
  if (tokens == "minimal") return minimal;
  return absl::StrCat(minimal, " cpp-httplib/", CPPHTTPLIB_VERSION);
}

// Timeouts and limits of every server object: idle or slow clients are dropped soon (short
// timeouts, small bodies, and the guard's deadline for a whole request, connection_guard.h).
void ApplyLimits(httplib::Server& server) {
  server.set_keep_alive_timeout(2);
  server.set_keep_alive_max_count(1000);
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_payload_max_length(1 << 20);
  server.set_tcp_nodelay(true);
}

// The plain server, or the TLS one with restapi's certificate, key (and its password), CA,
// client-certificate rule and ciphers.
absl::StatusOr<std::unique_ptr<httplib::Server>> MakeServing(const config::RestApiConfig& c) {
  if (!c.tls()) return std::make_unique<httplib::Server>();
  bool optional_client_cert = c.verify_client == "optional";
  bool required_client_cert = c.verify_client == "required";
  std::string cert = c.certfile, key = c.keyfile.empty() ? c.certfile : c.keyfile, ca = c.cafile;
  std::string password = c.keyfile_password;
  std::string ciphers = c.ciphers;
  auto ssl = std::make_unique<httplib::SSLServer>([=](SSL_CTX& ctx) {
    // restapi.ciphers: OpenSSL's cipher list for TLS 1.2 and older, as Python's set_ciphers.
    if (!ciphers.empty() && SSL_CTX_set_cipher_list(&ctx, ciphers.c_str()) != 1) return false;
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
    return absl::InvalidArgumentError(absl::StrCat("restapi: cannot load certfile ", cert, " / keyfile ", key,
                                                   ca.empty() ? "" : " / cafile " + ca,
                                                   ciphers.empty() ? "" : ", or ciphers '" + ciphers + "'"));
  }
  return ssl;
}

class HttpRestServer final : public RestServer {
 public:
  explicit HttpRestServer(RestServerOptions o)
      : first_options_(std::move(o)),
        clock_(first_options_.clock != nullptr ? first_options_.clock : RealClock::Get()) {}

  ~HttpRestServer() override { Stop(); }

  absl::Status Init() {
    PGHA_ASSIGN_OR_RETURN(std::unique_ptr<Generation> first, MakeGeneration(first_options_));
    current_ = first.get();
    generations_.push_back(std::move(first));
    const config::RestApiConfig& c = current_->options.config;
    listener_ = std::make_unique<internal::GuardedListener>(&guard_, current_->serving.get());
    auto& l = *listener_;
    // A thread per connection (see connection_threads.h), up to a cap far above what a
    // cluster's members, load balancers and monitoring open.
    l.new_task_queue = [] {
      return new internal::ConnectionThreads(kMaxConnectionThreads, kMaxWaitingConnections);
    };
    ApplyLimits(l);
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
    l.set_socket_options([this](int fd) {
      int yes = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      listen_fd_ = fd;
    });
    if (!l.bind_to_port(host, port_)) {
      return absl::UnavailableError(absl::StrCat(
          "cannot listen on ", c.listen, " (restapi.listen): address in use or not available"));
    }
    // Patroni's request_queue_size is the listen backlog; httplib's is fixed at 5, and Linux
    // takes a second listen() as a new backlog.
    if (listen_fd_ >= 0) ::listen(listen_fd_, c.request_queue_size);
    internal::SetListeningSocket(*current_->serving, listen_fd_);
    thread_ = std::thread([this, listen = c.listen] {
      bool clean = listener_->listen_after_bind();
      listen_returned_ = true;
      // httplib gives up on accept errors other than EMFILE/EINTR/EAGAIN (ENFILE, ENOBUFS):
      // health checks then fail, and that must be in the log.
      if (!clean && !stopped_) {
        PGHA_LOG(CRITICAL) << "the REST API stopped accepting connections on " << listen
                           << " (accept failed)";
      }
    });
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  // The listening socket stays; new connections are served by a new server object with the
  // new settings (a rotated certificate is read again), open ones finish on the old object,
  // which lives until Stop. Nothing is refused meanwhile.
  absl::Status Reload(const config::RestApiConfig& config) override {
    std::lock_guard<std::mutex> lock(reload_mu_);
    if (stopped_) return absl::FailedPreconditionError("the REST API is stopped");
    if (config.listen != current_->options.config.listen) {
      return absl::FailedPreconditionError(absl::StrCat("restapi.listen changed from ", current_->options.config.listen,
                                                        " to ", config.listen, ": restart pgha to listen there"));
    }
    RestServerOptions options = current_->options;
    options.config = config;
    PGHA_ASSIGN_OR_RETURN(std::unique_ptr<Generation> next, MakeGeneration(options));
    internal::SetListeningSocket(*next->serving, listen_fd_);
    listener_->SetServing(next->serving.get());
    current_ = next.get();
    generations_.push_back(std::move(next));
    return absl::OkStatus();
  }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    if (thread_.joinable()) {
      // httplib's stop() does nothing until its loop has started: a stop right after Start
      // would leave the loop blocked in accept() forever.
      while (!listener_->is_running() && !listen_returned_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      // Open connections end at their next keep-alive check, then the listener's stop returns.
      {
        std::lock_guard<std::mutex> lock(reload_mu_);
        for (auto& g : generations_) internal::SetListeningSocket(*g->serving, INVALID_SOCKET);
      }
      listener_->stop();
      thread_.join();
    }
  }

 private:
  // What serves connections: the settings, the routes over them, and the server object.
  struct Generation {
    RestServerOptions options;
    std::unique_ptr<internal::Router> router;
    std::unique_ptr<httplib::Server> serving;  // routes, timeouts, TLS; never listens
  };

  absl::StatusOr<std::unique_ptr<Generation>> MakeGeneration(const RestServerOptions& options) {
    auto g = std::make_unique<Generation>();
    g->options = options;
    PGHA_ASSIGN_OR_RETURN(g->serving, MakeServing(g->options.config));
    g->router = std::make_unique<internal::Router>(&g->options, clock_);
    httplib::Server& s = *g->serving;
    ApplyLimits(s);
    s.set_default_headers({{"Server", ServerHeader(g->options.config.server_tokens)}});
    s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      internal::JsonError(res, 500, "internal error");
    });
    internal::Router* router = g->router.get();
    auto handle = [this, router](const httplib::Request& req, httplib::Response& res) {
      // The request is complete: the time a handler takes (a restart waits for PostgreSQL)
      // does not count against the client's deadline.
      struct HandlerScope {
        internal::ConnectionGuard& guard;
        std::optional<internal::ConnectionGuard::Ticket> ticket =
            internal::GuardedListener::CurrentConnection();
        explicit HandlerScope(internal::ConnectionGuard& g) : guard(g) {
          if (ticket) guard.HandlerStarted(*ticket);
        }
        ~HandlerScope() {
          if (ticket) guard.HandlerFinished(*ticket);
        }
      } scope(guard_);
      router->Handle(req, res);
    };
    s.Get(".*", handle);  // GET and HEAD
    s.Options(".*", handle);
    s.Post(".*", handle);
    s.Put(".*", handle);
    s.Patch(".*", handle);
    s.Delete(".*", handle);
    return g;
  }

  RestServerOptions first_options_;
  Clock* clock_;
  internal::ConnectionGuard guard_{internal::ConnectionLimits{}};
  std::mutex reload_mu_;
  std::vector<std::unique_ptr<Generation>> generations_;  // the current one last; guarded by reload_mu_
  Generation* current_ = nullptr;
  std::unique_ptr<internal::GuardedListener> listener_;  // accepts, guards, hands over
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
