// Consul service registration of a member (Patroni's update_service / register_service).
#include <algorithm>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "consul_http.h"
#include "pgha/backends/consul.h"
#include "pgha/base/json.h"
#include "pgha/base/log.h"
#include "pgha/base/utf8.h"
#include "pgha/base/status_macros.h"

namespace pgha::backends {
namespace {

using consul::HttpResponse;
using consul::Method;

struct UrlParts {
  std::string scheme;
  std::string host;       // without brackets
  std::string host_port;  // as written ("[::1]:8008")
  int port = 0;
};

// scheme://[user@]host[:port][/...]
absl::StatusOr<UrlParts> ParseUrl(const std::string& url) {
  UrlParts u;
  size_t sep = url.find("://");
  if (sep == std::string::npos) return absl::InvalidArgumentError("not a URL: " + url);
  u.scheme = url.substr(0, sep);
  std::string authority = url.substr(sep + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != std::string::npos)
    authority = authority.substr(at + 1);
  u.host_port = authority;
  std::string port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return absl::InvalidArgumentError("bad host in " + url);
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      port = authority.substr(close + 2);
  } else if (size_t colon = authority.rfind(':'); colon != std::string::npos) {
    u.host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  } else {
    u.host = authority;
  }
  if (u.host.empty()) return absl::InvalidArgumentError("no host in " + url);
  if (!port.empty() && (!absl::SimpleAtoi(port, &u.port) || u.port < 1 || u.port > 65535)) {
    return absl::InvalidArgumentError("bad port in " + url);
  }
  return u;
}

class Registrar final : public ConsulServiceRegistrar {
 public:
  Registrar(consul::HttpOptions http, const ConsulConfig& config, absl::Duration ttl,
            absl::Duration retry_timeout)
      : http_(std::move(http), retry_timeout),
        tags_(config.service_tags),
        interval_(config.service_check_interval),
        tls_server_name_(config.service_check_tls_server_name),
        ttl_(ttl) {
    std::sort(tags_.begin(), tags_.end());
    // A bare number in the YAML means seconds; Consul wants a Go duration.
    if (!interval_.empty() &&
        std::all_of(interval_.begin(), interval_.end(), absl::ascii_isdigit)) {
      interval_ += "s";
    }
  }

  absl::Status Update(const ConsulServiceMember& m) override {
    if (m.role.empty() || m.state.empty() || m.api_url.empty() || m.conn_url.empty()) {
      return absl::InvalidArgumentError("consul service: not enough member data to register");
    }
    if (m.state == "stopped") return Deregister(m.scope, m.name);
    if (m.role != "primary" && m.role != "replica" && m.role != "standby_leader") {
      PGHA_LOG(WARNING) << "consul: could not register service: unknown role type " << m.role;
      return absl::OkStatus();
    }
    if (m.state != "running") return absl::OkStatus();  // keep what is registered until then
    PGHA_ASSIGN_OR_RETURN(UrlParts api, ParseUrl(m.api_url));
    PGHA_ASSIGN_OR_RETURN(UrlParts conn, ParseUrl(m.conn_url));
    std::string role = m.role;
    std::replace(role.begin(), role.end(), '_', '-');
    std::vector<std::string> tags = tags_;
    tags.push_back(role);
    if (m.role == "primary") tags.push_back("master");  // what existing DNS queries ask for
    Json check = {{"HTTP", absl::StrCat(api.scheme, "://", api.host_port, "/", role)},
                  {"Interval", interval_},
                  // A critical service goes away after 10x the session TTL (= 5x ttl).
                  {"DeregisterCriticalServiceAfter", consul::GoDuration(ttl_ * 5)}};
    if (!tls_server_name_.empty()) check["TLSServerName"] = tls_server_name_;
    Json service = {{"ID", absl::StrCat(m.scope, "/", m.name)},
                    {"Name", ConsulServiceName(m.scope)},
                    {"Tags", tags},
                    {"Address", conn.host},
                    {"EnableTagOverride", true},
                    {"Check", check}};
    if (conn.port != 0) service["Port"] = conn.port;
    std::string body = service.dump();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (body == registered_) return absl::OkStatus();
    }
    PGHA_LOG(INFO) << "consul: registering service " << service["Name"].get<std::string>() << " "
                   << body;
    PGHA_ASSIGN_OR_RETURN(HttpResponse r, http_.Send(Method::kPut, "/v1/agent/service/register", {},
                                                     body, /*idempotent=*/true, http_.Deadline()));
    if (r.status != 200) return consul::StatusFromResponse("consul service register", r);
    std::lock_guard<std::mutex> lock(mu_);
    registered_ = body;
    return absl::OkStatus();
  }

  absl::Status Deregister(const std::string& scope, const std::string& name) override {
    std::string id = absl::StrCat(scope, "/", name);
    // The '/' in the id stays as is: Consul takes the rest of the path as the id.
    PGHA_ASSIGN_OR_RETURN(
        HttpResponse r,
        http_.Send(Method::kPut, "/v1/agent/service/deregister/" + consul::EscapePath(id), {}, "",
                   /*idempotent=*/true, http_.Deadline()));
    if (r.status != 200 && r.status != 404) {
      return consul::StatusFromResponse("consul service deregister", r);
    }
    std::lock_guard<std::mutex> lock(mu_);
    registered_.clear();
    return absl::OkStatus();
  }

 private:
  consul::HttpTransport http_;
  std::vector<std::string> tags_;
  std::string interval_;
  const std::string tls_server_name_;
  const absl::Duration ttl_;
  std::mutex mu_;
  std::string registered_;  // guarded by mu_: the body of the last successful registration
};

}  // namespace

std::string ConsulServiceName(const std::string& scope) {
  std::string out;
  for (char32_t cp : DecodeUtf8(scope)) {
    if (out.size() >= 230) break;
    char32_t c = cp < 0x80 ? static_cast<char32_t>(absl::ascii_tolower(static_cast<char>(cp))) : cp;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
      out.push_back(static_cast<char>(c));
    } else if (c == '.' || c == ' ' || c == '_') {
      out.push_back('-');
    } else {
      out += absl::StrFormat("u%04d", static_cast<uint32_t>(c));  // Patroni: the code point in decimal
    }
  }
  return out.substr(0, 230);
}

absl::StatusOr<std::unique_ptr<ConsulServiceRegistrar>> MakeConsulServiceRegistrar(
    const ConsulConfig& config, absl::Duration ttl, absl::Duration retry_timeout) {
  PGHA_ASSIGN_OR_RETURN(consul::HttpOptions http, consul::HttpOptionsFromConfig(config));
  return std::unique_ptr<ConsulServiceRegistrar>(
      new Registrar(std::move(http), config, ttl, retry_timeout));
}

}  // namespace pgha::backends
