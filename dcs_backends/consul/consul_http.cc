#include "consul_http.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "pgha/base/clock.h"

namespace pgha::backends::consul {
namespace {

constexpr absl::Duration kMinAttempt = absl::Milliseconds(20);

absl::Status CheckReadable(const std::string& path, const char* what) {
  if (path.empty()) return absl::OkStatus();
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("consul.", what, ": cannot read ", path));
  return absl::OkStatus();
}

std::string Percent(const std::string& s, bool keep_slash) {
  std::string out;
  for (unsigned char c : s) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

void SetTimeouts(httplib::Client& cli, absl::Duration connect, absl::Duration io) {
  cli.set_connection_timeout(absl::ToChronoMicroseconds(std::max(connect, kMinAttempt)));
  cli.set_read_timeout(absl::ToChronoMicroseconds(std::max(io, kMinAttempt)));
  cli.set_write_timeout(absl::ToChronoMicroseconds(std::max(io, kMinAttempt)));
}

}  // namespace

absl::StatusOr<HttpOptions> HttpOptionsFromConfig(const ConsulConfig& config) {
  HttpOptions o;
  if (config.scheme != "http" && config.scheme != "https") {
    return absl::InvalidArgumentError(
        absl::StrCat("consul.scheme: expected http or https, got '", config.scheme, "'"));
  }
  if (config.port < 1 || config.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("consul.port: out of range: ", config.port));
  }
  if (config.host.empty()) return absl::InvalidArgumentError("consul.host: empty");
  if (auto s = CheckReadable(config.cacert, "cacert"); !s.ok()) return s;
  if (auto s = CheckReadable(config.cert, "cert"); !s.ok()) return s;
  if (auto s = CheckReadable(config.key, "key"); !s.ok()) return s;
  o.host = config.host;
  o.port = config.port;
  o.https = config.scheme == "https";
  o.verify = config.verify;
  o.cacert = config.cacert;
  o.cert = config.cert;
  // Patroni pairs a separate key with the certificate; without one the cert file holds both.
  o.key = config.key.empty() ? config.cert : config.key;
  o.token = config.token;
  o.dc = config.dc;
  return o;
}

HttpTransport::HttpTransport(HttpOptions options, absl::Duration retry_timeout)
    : options_(std::move(options)),
      address_(
          absl::StrCat(options_.https ? "https" : "http", "://",
                       options_.host.find(':') != std::string::npos && options_.host.front() != '['
                           ? absl::StrCat("[", options_.host, "]")
                           : options_.host,
                       ":", options_.port)),
      retry_timeout_(retry_timeout) {}

void HttpTransport::SetRetryTimeout(absl::Duration retry_timeout) {
  std::lock_guard<std::mutex> lock(mu_);
  retry_timeout_ = retry_timeout;
}

absl::Duration HttpTransport::retry_timeout() const {
  std::lock_guard<std::mutex> lock(mu_);
  return retry_timeout_;
}

std::string HttpTransport::Target(const std::string& path, const Query& query) const {
  std::string target = path;
  Query all = query;
  if (!options_.dc.empty() && !absl::StartsWith(path, "/v1/agent/")) {
    all.emplace_back("dc", options_.dc);
  }
  char sep = '?';
  for (const auto& [name, value] : all) {
    target.push_back(sep);
    sep = '&';
    target += Percent(name, false);
    if (!value.empty()) absl::StrAppend(&target, "=", Percent(value, false));
  }
  return target;
}

absl::StatusOr<HttpResponse> HttpTransport::Send(Method method, const std::string& path,
                                                 const Query& query, const std::string& body,
                                                 bool idempotent, absl::Time deadline) {
  if (deadline - MonotonicNow() < kMinAttempt) {
    return absl::DeadlineExceededError(
        absl::StrCat("consul: retry_timeout spent before ", path, " could be sent"));
  }
  const std::string target = Target(path, query);
  absl::Duration backoff = absl::Milliseconds(100);
  while (true) {
    absl::Duration left = deadline - MonotonicNow();
    absl::StatusOr<HttpResponse> r = SendOnce(method, target, body, left);
    bool retryable =
        r.ok() ? (r->status >= 500 || r->status == 429) : absl::IsUnavailable(r.status());
    if (!idempotent || !retryable || MonotonicNow() + backoff >= deadline) return r;
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(1));
  }
}

absl::StatusOr<HttpResponse> HttpTransport::BlockingGet(const std::string& path, const Query& query,
                                                        absl::Duration wait) {
  return SendOnce(Method::kGet, Target(path, query), "", wait + wait / 16 + absl::Seconds(1));
}

absl::StatusOr<HttpResponse> HttpTransport::SendOnce(Method method, const std::string& target,
                                                     const std::string& body,
                                                     absl::Duration timeout) {
  httplib::Client cli(address_, options_.cert, options_.key);
  if (!cli.is_valid()) {
    return absl::InvalidArgumentError(
        absl::StrCat("consul: cannot set up a client for ", address_, " (TLS files?)"));
  }
  if (options_.https) {
    if (!options_.cacert.empty()) cli.set_ca_cert_path(options_.cacert);
    cli.enable_server_certificate_verification(options_.verify || !options_.cacert.empty());
  }
  cli.set_url_encode(false);  // EscapePath/Target already encoded it
  cli.set_keep_alive(false);
  SetTimeouts(cli, std::min(timeout, retry_timeout()), timeout);
  httplib::Headers headers;
  if (!options_.token.empty()) headers.emplace("X-Consul-Token", options_.token);
  httplib::Result res = [&] {
    switch (method) {
      case Method::kGet:
        return cli.Get(target, headers);
      case Method::kPut:
        return cli.Put(target, headers, body, "application/octet-stream");
      case Method::kDelete:
        break;
    }
    return cli.Delete(target, headers);
  }();
  if (!res) {
    httplib::Error err = res.error();
    std::string message = absl::StrCat("consul agent ", address_, ": ", httplib::to_string(err));
    if (err == httplib::Error::SSLLoadingCerts) return absl::InvalidArgumentError(message);
    return absl::UnavailableError(message);
  }
  HttpResponse out;
  out.status = res->status;
  out.body = res->body;
  int64_t index = 0;
  if (absl::SimpleAtoi(res->get_header_value("X-Consul-Index"), &index)) out.index = index;
  return out;
}

std::string EscapePath(const std::string& path) { return Percent(path, true); }

absl::Status StatusFromResponse(const std::string& what, const HttpResponse& r) {
  std::string body = r.body.size() > 300 ? r.body.substr(0, 300) + "..." : r.body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  std::string message = absl::StrCat(what, ": HTTP ", r.status, " ", body);
  if (r.status == 403) return absl::PermissionDeniedError(message);
  if (r.status == 401) return absl::UnauthenticatedError(message);
  if (r.status == 404) return absl::NotFoundError(message);
  if (r.status == 400 || r.status == 405 || r.status == 413) {
    return absl::InvalidArgumentError(message);
  }
  if (r.status == 429 || r.status >= 500) return absl::UnavailableError(message);
  return absl::UnknownError(message);
}

std::string GoDuration(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return "0s";
  if (d % absl::Seconds(1) == absl::ZeroDuration()) {
    return absl::StrCat(absl::ToInt64Seconds(d), "s");
  }
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)));
  return absl::StrCat(std::max<int64_t>(1, ms), "ms");
}

}  // namespace pgha::backends::consul
