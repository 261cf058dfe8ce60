#include "router.h"

#include <openssl/ssl.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "actions.h"
#include "pgha/api/health.h"
#include "pgha/base/pycompat.h"
#include "pgha/api/status_views.h"

namespace pgha::api::internal {
namespace {

using Handler = Reply (*)(const ActionContext&, const httplib::Request&);

// The unsafe actions by method and path; anything else is a 404 after the access checks.
Handler FindAction(const std::string& method, const std::string& path) {
  struct Route {
    const char* method;
    const char* path;
    Handler handler;
  };
  static const Route kRoutes[] = {
      {"POST", "/switchover", PostSwitchover},   {"POST", "/failover", PostFailover},
      {"DELETE", "/switchover", DeleteSwitchover}, {"POST", "/restart", PostRestart},
      {"DELETE", "/restart", DeleteRestart},     {"POST", "/reload", PostReload},
      {"POST", "/reinitialize", PostReinitialize}, {"PATCH", "/config", PatchConfig},
      {"PUT", "/config", PutConfig},             {"POST", "/citus", NotSupported},
      {"POST", "/mpp", NotSupported},            {"POST", "/failsafe", PostFailsafe},
  };
  for (const auto& r : kRoutes) {
    if (method == r.method && path == r.path) return r.handler;
  }
  return nullptr;
}

}  // namespace

Router::Router(const RestServerOptions* options, Clock* clock)
    : o_(options), clock_(clock), allowlist_(BuildAllowlist(options->config.allowlist)) {}

void Router::Handle(const httplib::Request& req, httplib::Response& res) const {
  AddHeaders(res);
  if (req.method == "GET" || req.method == "HEAD") return Get(req, res, req.method == "HEAD");
  if (req.method == "OPTIONS") return Get(req, res, true);
  Unsafe(req, res);
}

void Router::AddHeaders(httplib::Response& res) const {
  for (const auto& [k, v] : o_->config.http_extra_headers) res.set_header(k, v);
  if (o_->config.tls()) {
    for (const auto& [k, v] : o_->config.https_extra_headers) res.set_header(k, v);
  }
}

bool Router::Allowed(const httplib::Request& req, httplib::Response& res) const {
  const auto& c = o_->config;
  if (!allowlist_.empty() || c.allowlist_include_members) {
    std::vector<Network> nets = allowlist_;
    if (c.allowlist_include_members) {
      auto st = o_->board->Current();
      if (st->cluster) {
        auto members = MemberNetworks(*st->cluster);
        nets.insert(nets.end(), members.begin(), members.end());
      }
    }
    bool ok = false;
    for (const auto& n : nets) ok = ok || n.Contains(req.remote_addr);
    if (!ok) {
      Text(res, 403, "Access is denied");
      return false;
    }
  }
  if (c.tls() && (c.verify_client == "required" || c.verify_client == "optional")) {
    X509* peer = req.ssl != nullptr ? SSL_get_peer_certificate(const_cast<SSL*>(req.ssl)) : nullptr;
    if (peer == nullptr) {
      Text(res, 403, "client certificate required");
      return false;
    }
    X509_free(peer);
  }
  if (c.authentication) {
    std::string header = req.get_header_value("Authorization");
    if (header.empty() || !CheckBasicAuth(header, *c.authentication)) {
      res.set_header("WWW-Authenticate", "Basic realm=\"Patroni\"");
      Text(res, 401, header.empty() ? "no auth header received" : "not authenticated");
      return false;
    }
  }
  return true;
}

void Router::Get(const httplib::Request& req, httplib::Response& res, bool status_only) const {
  auto st = o_->board->Current();
  const std::string& path = req.path;
  if (path == "/patroni") {
    if (!o_->live_positions) return Json(res, 200, PatroniStatus(*st), status_only);
    return Json(res, 200, PatroniStatus(WithLivePositions(*st, o_->live_positions())), status_only);
  }
  if (path == "/cluster") {
    return Json(res, 200,
                st->cluster ? ClusterView(*st->cluster)
                            : ::pgha::Json{{"members", ::pgha::Json::array()}},
                status_only);
  }
  if (path == "/history") {
    return Json(res, 200, st->cluster ? HistoryView(*st->cluster) : ::pgha::Json::array(),
                status_only);
  }
  if (path == "/config") {
    if (!st->cluster || !st->cluster->config) {
      return JsonError(res, 502, "no dynamic configuration in the DCS");
    }
    return Json(res, 200, st->cluster->config->data, status_only);
  }
  if (path == "/metrics") {
    res.status = 200;
    if (!status_only) res.set_content(MetricsText(*st), "text/plain");
    return;
  }
  if (path == "/liveness") {
    res.status = LivenessStatusCode(*st, clock_->Now(), o_->ttl());
    return;
  }
  if (path == "/readiness") {
    res.status = ReadinessStatusCode(*st);
    return;
  }
  if (path == "/failsafe") {
    if (!st->failsafe_mode || !st->cluster || !st->cluster->failsafe) {
      return JsonError(res, 502, "failsafe mode is not enabled");
    }
    ::pgha::Json members = ::pgha::Json::object();
    for (const auto& [name, url] : *st->cluster->failsafe) members[name] = url;
    return Json(res, 200, members, status_only);
  }
  QueryParams query(req.params.begin(), req.params.end());
  int code = HealthStatusCode(path, query, *st);
  Json(res, code, PatroniStatus(*st), status_only);
}

void Router::Unsafe(const httplib::Request& req, httplib::Response& res) const {
  if (!Allowed(req, res)) return;
  Handler handler = FindAction(req.method, req.path);
  if (handler == nullptr) {
    return JsonError(res, 404, absl::StrCat("no ", req.method, " handler for ", req.path));
  }
  Send(res, handler(ActionContext{o_, clock_}, req));
}

}  // namespace pgha::api::internal
