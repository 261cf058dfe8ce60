// The `zookeeper:` section of patroni.yml: its schema, its typed reading and its registration
// with the config module. Source: Patroni's docs/yaml_configuration.rst (ZooKeeper) and
// patroni/dcs/zookeeper.py.
#include "pgha/backends/zookeeper.h"
#include "pgha/config/json_read.h"
#include "pgha/config/schema.h"

namespace pgha::backends {

using config::internal::Any;
using config::internal::Bool;
using config::internal::CheckHostList;
using config::internal::Child;
using config::internal::Map;
using config::internal::OpenMap;
using config::internal::Opt;
using config::internal::ReadBoolKey;
using config::internal::ReadString;
using config::internal::ReadStringList;
using config::internal::Req;
using config::internal::SpecPtr;
using config::internal::Str;
using config::internal::WithCheck;

namespace {

SpecPtr ZooKeeperSection() {
  return Map({
      Req("hosts", WithCheck(Any(), CheckHostList)),
      Opt("use_ssl", Bool()),
      Opt("cacert", Str()),
      Opt("cert", Str()),
      Opt("key", Str()),
      Opt("key_password", Str()),
      Opt("verify", Bool()),
      Opt("set_acls", OpenMap(Any())),
      Opt("auth_data", Any()),
  });
}

}  // namespace

ZooKeeperConfig ReadZooKeeperConfig(const Json& s) {
  ZooKeeperConfig z;
  z.hosts = ReadStringList(s, "hosts");
  z.use_ssl = ReadBoolKey(s, "use_ssl", false);
  z.cacert = ReadString(s, "cacert");
  z.cert = ReadString(s, "cert");
  z.key = ReadString(s, "key");
  z.key_password = ReadString(s, "key_password");
  z.verify = ReadBoolKey(s, "verify", true);
  if (Child(s, "set_acls").is_object()) z.set_acls = Child(s, "set_acls");
  if (!Child(s, "auth_data").is_null()) z.auth_data = Child(s, "auth_data");
  return z;
}

std::vector<config::DcsSection> ZooKeeperDcsSections() {
  config::DcsSection section;
  section.name = "zookeeper";
  section.spec = ZooKeeperSection();
  section.priority = 40;
  return {section};
}

void RegisterZooKeeperConfigSections() {
  for (auto& section : ZooKeeperDcsSections()) config::RegisterDcsSection(std::move(section));
}

}  // namespace pgha::backends
