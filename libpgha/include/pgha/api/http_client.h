// A small HTTP(S) client for members' REST APIs: the leader race's peer probes, switchover
// checks, and pghactl. Thread-safety: stateless functions; HttpPeerProber is thread-safe.
#ifndef PGHA_API_HTTP_CLIENT_H_
#define PGHA_API_HTTP_CLIENT_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pgha/config/config.h"
#include "pgha/ha/peer_prober.h"

namespace pgha::api {

struct HttpTls {
  std::string cacert;     // verify the server against this CA ("" and !insecure: system CAs)
  std::string certfile;   // client certificate
  std::string keyfile;
  std::string keyfile_password;  // the key file is encrypted with it (ctl.keyfile_password)
  bool insecure = false;  // do not verify the server
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

// `method` to `url` (http(s)://host:port/path) with an optional JSON body and basic auth.
// kUnavailable when the server cannot be reached within `timeout`.
absl::StatusOr<HttpResponse> HttpRequest(const std::string& method, const std::string& url,
                                         const std::string& body, absl::Duration timeout,
                                         const std::optional<config::BasicAuth>& auth = std::nullopt,
                                         const HttpTls& tls = {});

// Replaces the path of an api_url ("http://h:8008/patroni" + "/switchover").
std::string WithPath(const std::string& api_url, const std::string& path);

// Reads a member's GET /patroni answer into a PeerStatus.
ha::PeerStatus ParsePeerStatus(const std::string& name, const std::string& body);

class HttpPeerProber final : public ha::PeerProber {
 public:
  // `auth`: restapi.authentication, which the other members' unsafe methods (POST /failsafe)
  // require.
  explicit HttpPeerProber(HttpTls tls = {}, std::optional<config::BasicAuth> auth = std::nullopt)
      : tls_(std::move(tls)), auth_(std::move(auth)) {}
  std::vector<ha::PeerStatus> Probe(const std::vector<dcs::Member>& members,
                                    absl::Duration timeout) override;
  bool ConfirmFailsafe(const std::vector<dcs::Member>& members, const std::string& body,
                       absl::Duration timeout) override;

 private:
  HttpTls tls_;
  std::optional<config::BasicAuth> auth_;
};

}  // namespace pgha::api

#endif  // PGHA_API_HTTP_CLIENT_H_
