#include "pgha/api/http_client.h"

#include <future>

#include <httplib.h>
#include <openssl/pem.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "access.h"
#include "pgha/base/status_macros.h"

namespace pgha::api {
namespace {

struct ParsedUrl {
  bool https = false;
  std::string host;
  int port = 80;
  std::string path = "/";
};

absl::StatusOr<ParsedUrl> ParseUrl(const std::string& url) {
  ParsedUrl u;
  std::string rest;
  if (absl::StartsWith(url, "https://")) {
    u.https = true;
    u.port = 443;
    rest = url.substr(8);
  } else if (absl::StartsWith(url, "http://")) {
    rest = url.substr(7);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("not an http(s) URL: ", url));
  }
  auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  if (slash != std::string::npos) u.path = rest.substr(slash);
  if (!hostport.empty() && hostport.front() == '[') {
    auto close = hostport.find(']');
    u.host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size() && hostport[close + 1] == ':') u.port = std::atoi(hostport.c_str() + close + 2);
  } else if (auto colon = hostport.rfind(':'); colon != std::string::npos) {
    u.host = hostport.substr(0, colon);
    u.port = std::atoi(hostport.c_str() + colon + 1);
  } else {
    u.host = hostport;
  }
  if (u.host.empty() || u.port <= 0) return absl::InvalidArgumentError(absl::StrCat("bad URL: ", url));
  return u;
}

// A client whose certificate's key is encrypted: httplib reads key files only unencrypted, so
// the key is decrypted here (as Python's load_cert_chain with a password) and handed over.
absl::StatusOr<std::unique_ptr<httplib::SSLClient>> ClientWithEncryptedKey(const ParsedUrl& u,
                                                                           const HttpTls& tls) {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
  if (BIO* bio = BIO_new_file(tls.certfile.c_str(), "r")) {
    cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
  }
  if (BIO* bio = BIO_new_file((tls.keyfile.empty() ? tls.certfile : tls.keyfile).c_str(), "r")) {
    // With no callback, OpenSSL takes the last argument as the passphrase.
    key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, const_cast<char*>(tls.keyfile_password.c_str()));
    BIO_free(bio);
  }
  std::unique_ptr<httplib::SSLClient> client;
  if (cert != nullptr && key != nullptr) client = std::make_unique<httplib::SSLClient>(u.host, u.port, cert, key);
  // The SSL context holds its own references.
  X509_free(cert);
  EVP_PKEY_free(key);
  if (client == nullptr || !client->is_valid()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot load the client certificate ", tls.certfile, " / key ",
                                                   tls.keyfile, " with its keyfile_password"));
  }
  return client;
}

template <typename Client>
absl::StatusOr<HttpResponse> Send(Client& client, const ParsedUrl& u, const std::string& method,
                                  const std::string& url, const std::string& body, absl::Duration timeout,
                                  const std::optional<config::BasicAuth>& auth, const HttpTls& tls) {
  if (u.https) {
    if (!tls.cacert.empty()) client.set_ca_cert_path(tls.cacert.c_str());
    // Without a CA file, the system's CAs (as patronictl does); `insecure` alone turns checks off.
    client.enable_server_certificate_verification(!tls.insecure);
  }
  int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout));
  client.set_connection_timeout(ms / 1000, (ms % 1000) * 1000);
  client.set_read_timeout(ms / 1000, (ms % 1000) * 1000);
  client.set_write_timeout(ms / 1000, (ms % 1000) * 1000);
  httplib::Headers headers;
  if (auth) headers.emplace("Authorization", "Basic " + internal::Base64Encode(auth->username + ":" + auth->password));
  auto send = [&]() -> std::optional<httplib::Result> {
    const char* path = u.path.c_str();
    if (method == "GET") return client.Get(path, headers);
    if (method == "POST") return client.Post(path, headers, body, "application/json");
    if (method == "PATCH") return client.Patch(path, headers, body, "application/json");
    if (method == "PUT") return client.Put(path, headers, body, "application/json");
    if (method == "DELETE") return client.Delete(path, headers, body, "application/json");
    if (method == "OPTIONS") return client.Options(path, headers);
    if (method == "HEAD") return client.Head(path, headers);
    return std::nullopt;
  };
  auto sent = send();
  if (!sent) return absl::InvalidArgumentError(absl::StrCat("unsupported method ", method));
  httplib::Result& r = *sent;
  if (!r) return absl::UnavailableError(absl::StrCat(method, " ", url, ": ", httplib::to_string(r.error())));
  return HttpResponse{r->status, r->body};
}

bool Truthy(const Json& v) {
  return v == true || (v.is_string() && (v == "true" || v == "on" || v == "yes"));
}

}  // namespace

std::string WithPath(const std::string& api_url, const std::string& path) {
  auto scheme = api_url.find("://");
  auto slash = api_url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return (slash == std::string::npos ? api_url : api_url.substr(0, slash)) + path;
}

absl::StatusOr<HttpResponse> HttpRequest(const std::string& method, const std::string& url,
                                         const std::string& body, absl::Duration timeout,
                                         const std::optional<config::BasicAuth>& auth, const HttpTls& tls) {
  auto u = ParseUrl(url);
  if (!u.ok()) return u.status();
  if (u->https && !tls.keyfile_password.empty() && !tls.certfile.empty()) {
    PGHA_ASSIGN_OR_RETURN(std::unique_ptr<httplib::SSLClient> client, ClientWithEncryptedKey(*u, tls));
    return Send(*client, *u, method, url, body, timeout, auth, tls);
  }
  std::string origin = absl::StrCat(u->https ? "https://" : "http://",
                                    u->host.find(':') != std::string::npos ? "[" + u->host + "]" : u->host, ":",
                                    u->port);
  httplib::Client client(origin, tls.certfile, tls.keyfile);
  return Send(client, *u, method, url, body, timeout, auth, tls);
}

ha::PeerStatus ParsePeerStatus(const std::string& name, const std::string& body) {
  ha::PeerStatus p;
  p.name = name;
  Json doc = ParseUntrustedJson(body);
  if (doc.is_discarded() || !doc.is_object()) return p;
  p.reachable = true;
  std::string role = JsonString(doc, "role");
  p.in_recovery = role != "primary" && role != "master";
  if (doc.contains("xlog") && doc["xlog"].is_object()) {
    const Json& x = doc["xlog"];
    auto num = [&](const char* k) -> std::optional<Lsn> {
      if (x.contains(k) && x[k].is_number_unsigned()) return x[k].get<uint64_t>();
      if (x.contains(k) && x[k].is_number_integer() && x[k].get<int64_t>() >= 0) return x[k].get<int64_t>();
      return std::nullopt;
    };
    if (auto l = num("location")) {
      p.wal_position = l;
    } else {
      auto rec = num("received_location");
      auto rep = num("replayed_location");
      if (rec || rep) p.wal_position = std::max(rec.value_or(0), rep.value_or(0));
    }
  }
  if (doc.contains("timeline") && doc["timeline"].is_number_integer() && doc["timeline"].get<int64_t>() > 0 &&
      doc["timeline"].get<int64_t>() < (int64_t{1} << 31)) {
    p.timeline = static_cast<int>(doc["timeline"].get<int64_t>());
  }
  if (doc.contains("tags") && doc["tags"].is_object()) {
    const Json& t = doc["tags"];
    if (t.contains("nofailover") && Truthy(t["nofailover"])) p.nofailover = true;
    if (t.contains("failover_priority") && t["failover_priority"].is_number_integer()) {
      p.failover_priority = t["failover_priority"].get<int>();
      if (p.failover_priority <= 0) p.nofailover = true;
    }
  }
  if (p.nofailover) p.failover_priority = 0;
  p.watchdog_failed = JsonIsTrue(doc, "watchdog_failed");
  // A member that is not running cannot take over.
  if (JsonString(doc, "state") != "running") p.reachable = false;
  return p;
}

std::vector<ha::PeerStatus> HttpPeerProber::Probe(const std::vector<dcs::Member>& members,
                                                  absl::Duration timeout) {
  std::vector<std::future<ha::PeerStatus>> pending;
  for (const auto& m : members) {
    std::string name = m.name;
    std::string url = m.api_url;
    HttpTls tls = tls_;
    pending.push_back(std::async(std::launch::async, [name, url, timeout, tls] {
      auto r = HttpRequest("GET", url, "", timeout, std::nullopt, tls);
      if (!r.ok() || r->status != 200) {
        ha::PeerStatus down;
        down.name = name;
        return down;
      }
      return ParsePeerStatus(name, r->body);
    }));
  }
  std::vector<ha::PeerStatus> out;
  for (auto& f : pending) out.push_back(f.get());
  return out;
}

bool HttpPeerProber::ConfirmFailsafe(const std::vector<dcs::Member>& members, const std::string& body,
                                     absl::Duration timeout) {
  std::vector<std::future<bool>> pending;
  for (const auto& m : members) {
    std::string url = WithPath(m.api_url, "/failsafe");
    pending.push_back(std::async(std::launch::async, [this, url, body, timeout] {
      for (int attempt = 0; attempt < 2; ++attempt) {
        auto r = HttpRequest("POST", url, body, timeout, auth_, tls_);
        if (r.ok()) return r->status == 200 && r->body == "Accepted";
      }
      return false;
    }));
  }
  bool all = true;
  for (auto& f : pending) all = f.get() && all;
  return all;
}

}  // namespace pgha::api
