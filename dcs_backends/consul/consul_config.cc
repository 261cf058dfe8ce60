// The `consul:` section of patroni.yml: its schema, its typed reading and its registration with
// the config module. Source: Patroni's docs/yaml_configuration.rst (Consul) and
// patroni/dcs/consul.py.
#include "pgha/backends/consul.h"
#include "pgha/config/address.h"
#include "pgha/config/json_read.h"
#include "pgha/config/schema.h"

namespace pgha::backends {

using config::internal::Bool;
using config::internal::CheckHostPort;
using config::internal::CheckUrl;
using config::internal::Child;
using config::internal::Int;
using config::internal::ListOf;
using config::internal::Map;
using config::internal::Opt;
using config::internal::ReadBoolKey;
using config::internal::ReadInt;
using config::internal::ReadInt64;
using config::internal::ReadString;
using config::internal::ReadStringList;
using config::internal::Scalar;
using config::internal::SpecPtr;
using config::internal::Str;
using config::internal::WithCheck;

namespace {

SpecPtr ConsulSection() {
  return Map({
      Opt("host", WithCheck(Str(), CheckHostPort)),
      Opt("url", WithCheck(Str(), CheckUrl)),
      Opt("port", Int(1, 65535)),
      Opt("scheme", Str({"http", "https"})),
      Opt("token", Str()),
      Opt("verify", Bool()),
      Opt("cacert", Str()),
      Opt("cert", Str()),
      Opt("key", Str()),
      Opt("dc", Str()),
      Opt("checks", ListOf(Str())),
      Opt("register_service", Bool()),
      Opt("service_tags", ListOf(Str())),
      Opt("service_check_interval", Scalar()),
      Opt("service_check_tls_server_name", Str()),
      Opt("consistency", Str({"default", "consistent", "stale"})),
  });
}

}  // namespace

ConsulConfig ReadConsulConfig(const Json& s) {
  ConsulConfig c;
  std::string host = ReadString(s, "host", "127.0.0.1:8500");
  if (Child(s, "url").is_string()) {
    std::string url = ReadString(s, "url");
    bool https = false;
    if (config::ConsumeHttpScheme(&url, &https) && https) c.scheme = "https";
    host = url.substr(0, url.find('/'));
  }
  if (!host.empty() && host.front() == '[') {
    // "[::1]:8500" (what pghactl -d consul://[::1] gives): split as Patroni's split_host_port.
    auto parsed = config::ParseHostPort(host, c.port);
    c.host = parsed.ok() ? parsed->host : host;
    if (parsed.ok()) c.port = parsed->port;
  } else if (auto colon = host.rfind(':');
             colon != std::string::npos && host.find(']') == std::string::npos) {
    c.host = host.substr(0, colon);
    c.port = static_cast<int>(ReadInt(Json(host.substr(colon + 1)), "").value_or(8500));
  } else {
    c.host = host;
  }
  c.port = static_cast<int>(ReadInt64(s, "port", c.port));
  c.scheme = ReadString(s, "scheme", c.scheme);
  c.token = ReadString(s, "token");
  c.verify = ReadBoolKey(s, "verify", true);
  c.cacert = ReadString(s, "cacert");
  c.cert = ReadString(s, "cert");
  c.key = ReadString(s, "key");
  c.dc = ReadString(s, "dc");
  c.consistency = ReadString(s, "consistency", "default");
  c.checks = ReadStringList(s, "checks");
  c.register_service = ReadBoolKey(s, "register_service", false);
  c.service_tags = ReadStringList(s, "service_tags");
  c.service_check_interval = ReadString(s, "service_check_interval", "5s");
  c.service_check_tls_server_name = ReadString(s, "service_check_tls_server_name");
  return c;
}

std::vector<config::DcsSection> ConsulDcsSections() {
  config::DcsSection section;
  section.name = "consul";
  section.spec = ConsulSection();
  section.priority = 30;
  return {section};
}

void RegisterConsulConfigSections() {
  for (auto& section : ConsulDcsSections()) config::RegisterDcsSection(std::move(section));
}

}  // namespace pgha::backends
