// The `etcd3:` and `etcd:` sections of patroni.yml: their schema, their typed reading and their
// registration with the config module. Source: Patroni's docs/yaml_configuration.rst (Etcd) and
// patroni/dcs/etcd.py; pgha-specific differences are listed in docs/compatibility.md.
#include "absl/strings/match.h"
#include "pgha/backends/etcd3.h"
#include "pgha/config/address.h"
#include "pgha/config/json_read.h"
#include "pgha/config/schema.h"

namespace pgha::backends {

using config::internal::Any;
using config::internal::Bool;
using config::internal::CheckHostList;
using config::internal::CheckHostPort;
using config::internal::CheckUrl;
using config::internal::Child;
using config::internal::Int;
using config::internal::Map;
using config::internal::Opt;
using config::internal::ReadBoolKey;
using config::internal::ReadString;
using config::internal::ReadStringList;
using config::internal::SpecPtr;
using config::internal::Str;
using config::internal::WithCheck;

namespace {

SpecPtr EtcdSection() {
  return Map({
      Opt("host", WithCheck(Str(), CheckHostPort)),
      Opt("hosts", WithCheck(Any(), CheckHostList)),
      Opt("url", WithCheck(Str(), CheckUrl)),
      Opt("proxy", WithCheck(Str(), CheckUrl)),
      Opt("srv", Str()),
      Opt("srv_suffix", Str()),
      Opt("use_proxies", Bool()),
      Opt("protocol", Str({"http", "https"})),
      Opt("username", Str()),
      Opt("password", Str()),
      Opt("cacert", Str()),
      Opt("cert", Str()),
      Opt("key", Str()),
      Opt("key_password", Str()),
      Opt("retry_timeout", Int(1)),
  });
}

}  // namespace

EtcdConfig ReadEtcdConfig(const Json& s, bool from_v2_section) {
  EtcdConfig e;
  e.from_v2_section = from_v2_section;
  e.protocol = ReadString(s, "protocol", "http");
  auto strip_url = [&e](std::string url) {
    bool https = false;
    if (config::ConsumeHttpScheme(&url, &https) && https) e.protocol = "https";
    return url.substr(0, url.find('/'));
  };
  if (Child(s, "hosts").is_array() || Child(s, "hosts").is_string()) {
    e.hosts = ReadStringList(s, "hosts");
  } else if (Child(s, "host").is_string()) {
    e.hosts = {ReadString(s, "host")};
  } else if (Child(s, "url").is_string()) {
    e.hosts = {strip_url(ReadString(s, "url"))};
  } else if (Child(s, "proxy").is_string()) {
    e.hosts = {strip_url(ReadString(s, "proxy"))};
    e.use_proxies = true;
  }
  for (auto& h : e.hosts) {
    if (absl::StartsWith(h, "http")) h = strip_url(h);
  }
  e.srv = ReadString(s, "srv");
  e.srv_suffix = ReadString(s, "srv_suffix");
  e.use_proxies = ReadBoolKey(s, "use_proxies", e.use_proxies);
  e.username = ReadString(s, "username");
  e.password = ReadString(s, "password");
  e.cacert = ReadString(s, "cacert");
  e.cert = ReadString(s, "cert");
  e.key = ReadString(s, "key");
  e.key_password = ReadString(s, "key_password");
  if (e.hosts.empty() && e.srv.empty()) e.hosts = {"127.0.0.1:2379"};
  return e;
}

std::vector<config::DcsSection> Etcd3DcsSections() {
  config::DcsSection v3;
  v3.name = "etcd3";
  v3.spec = EtcdSection();
  v3.priority = 10;
  // Patroni reads PATRONI_ETCD3_USERNAME/PASSWORD only to complete a section (dcs_sections.h).
  v3.env_keys = {"username", "password"};
  config::DcsSection v2 = v3;
  v2.name = "etcd";
  v2.priority = 20;
  v2.warning =
      "the etcd (v2) section is served by pgha's etcd v3 backend: keys are written through the "
      "v3 API (etcd 3.4+ has v2 off by default)";
  return {v3, v2};
}

void RegisterEtcd3ConfigSections() {
  for (auto& section : Etcd3DcsSections()) config::RegisterDcsSection(std::move(section));
}

}  // namespace pgha::backends
