#include "pgha/config/dcs_url.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "pgha/config/address.h"

namespace pgha::config {
namespace {

struct Default {
  const char* scheme;
  int port;
};
// patronictl's DCS_DEFAULTS, in its order (the order decides which scheme a bare port picks).
constexpr Default kDefaults[] = {
    {"zookeeper", 2181}, {"exhibitor", 8181}, {"consul", 8500}, {"etcd", 2379}, {"etcd3", 2379}};

bool IsSchemeChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

}  // namespace

absl::StatusOr<DcsUrl> ParseDcsUrl(const std::string& input) {
  std::string url = input.find("//") == std::string::npos ? "//" + input : input;
  // urllib.parse.urlsplit: a scheme is letters, digits, "+-." before the first colon.
  std::string scheme;
  auto colon = url.find(':');
  if (colon != std::string::npos && colon > 0 &&
      absl::ascii_isalpha(static_cast<unsigned char>(url[0]))) {
    bool ok = true;
    for (size_t i = 0; i < colon; ++i) ok = ok && IsSchemeChar(url[i]);
    if (ok) {
      scheme = absl::AsciiStrToLower(url.substr(0, colon));
      url = url.substr(colon + 1);
    }
  }
  std::string netloc, path;
  if (url.compare(0, 2, "//") == 0) {
    auto end = url.find_first_of("/?#", 2);
    netloc = url.substr(2, end == std::string::npos ? std::string::npos : end - 2);
    path = end == std::string::npos ? "" : url.substr(end);
  } else {
    path = url;
  }
  path = path.substr(0, path.find_first_of("?#"));
  std::string hostport =
      netloc.substr(netloc.rfind('@') == std::string::npos ? 0 : netloc.rfind('@') + 1);
  std::string host = hostport, port_text;
  if (!hostport.empty() && hostport[0] == '[') {
    auto close = hostport.find(']');
    host = hostport.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    if (close != std::string::npos && close + 1 < hostport.size() && hostport[close + 1] == ':') {
      port_text = hostport.substr(close + 2);
    }
  } else if (auto c = hostport.rfind(':'); c != std::string::npos) {
    host = hostport.substr(0, c);
    port_text = hostport.substr(c + 1);
  }
  int port = 0;
  if (!port_text.empty() && (!absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Port could not be cast to integer value as '", port_text, "'"));
  }

  DcsUrl out;
  if (scheme.empty()) {
    out.scheme = "etcd";
    for (const auto& d : kDefaults) {
      if (port != 0 && d.port == port) {
        out.scheme = d.scheme;
        break;
      }
    }
  } else {
    bool known = false;
    for (const auto& d : kDefaults) known = known || scheme == d.scheme;
    if (!known) return absl::InvalidArgumentError(absl::StrCat("Unknown dcs scheme: ", scheme));
    out.scheme = scheme;
  }
  if (out.scheme == "exhibitor") {
    return absl::InvalidArgumentError(
        "the exhibitor DCS is not supported by pgha (use etcd3, consul or zookeeper)");
  }
  for (const auto& d : kDefaults) {
    if (out.scheme == d.scheme && port == 0) port = d.port;
  }
  out.host = host.empty() ? "localhost" : absl::AsciiStrToLower(host);
  out.port = port;
  std::string stripped(absl::StripAsciiWhitespace(path));
  if (!path.empty() && stripped != "/") out.namespace_ = stripped;
  return out;
}

DcsConfig ToDcsConfig(const DcsUrl& url) {
  // The section as a user would write it in patroni.yml, so that the backend's own reader
  // (ReadEtcdConfig, ReadConsulConfig, ReadZooKeeperConfig) takes it as it takes a file.
  DcsConfig dcs;
  dcs.configured = true;
  std::string hostport = HostPort{url.host, url.port}.ToString();
  if (url.scheme == "consul") {
    dcs.section = "consul";
    dcs.settings = {{"host", hostport}};
  } else if (url.scheme == "zookeeper") {
    dcs.section = "zookeeper";
    dcs.settings = {{"hosts", Json::array({hostport})}};
  } else {
    dcs.section = url.scheme == "etcd" ? "etcd" : "etcd3";
    dcs.settings = {{"hosts", Json::array({hostport})}};
  }
  return dcs;
}

}  // namespace pgha::config
