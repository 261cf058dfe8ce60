// The DCS sections of patroni.yml ("etcd3:", "consul:", ...) as a registry, so that the config
// module knows no backend by name: each backend registers the sections it serves (their schema,
// their place in the order of preference, their PATRONI_<NAME>_<KEY> variables) before a
// configuration is loaded, and validation, the choice of the section and the environment
// overrides use what is registered. The typed reading of a section belongs to its backend
// (e.g. pgha::backends::ReadEtcdConfig); the config module hands it the validated JSON
// (Config::dcs.settings).
//
// A configuration loaded before any section was registered has no DCS (its DCS keys are
// "unknown settings"): programs register first thing in main (the daemon and pghactl call
// pgha::backends::RegisterBuiltinBackends()).
//
// Thread-safety: registration and lookup may be called from any thread.
#ifndef PGHA_CONFIG_DCS_SECTIONS_H_
#define PGHA_CONFIG_DCS_SECTIONS_H_

#include <string>
#include <vector>

#include "pgha/config/schema.h"

namespace pgha::config {

struct DcsSection {
  std::string name;        // the key in patroni.yml: "etcd3", "etcd", "consul", "zookeeper"
  internal::SpecPtr spec;  // validates the section (file/line/key diagnostics)
  // Said (a warning at the section's key) when this section is the one used; "" for none.
  std::string warning;
  // When several DCS sections are present the lowest wins (the others are reported as ignored).
  // The built-ins keep Patroni's order: etcd3 < etcd < consul < zookeeper.
  int priority = 100;
  // Keys settable as PATRONI_<NAME>_<KEY>, besides the ones Patroni accepts for every DCS
  // (HOST, HOSTS, PORT, URL, CACERT, ..., see env_overrides.cc). Values are typed as Patroni
  // types them, else by the key's spec (integer, boolean, flow list or mapping), else text.
  // "username" and "password" only complete a section another variable or the file opened,
  // as Patroni does for etcd.
  std::vector<std::string> env_keys;
};

// Registers `section`; registering a name again replaces it (the last registration wins).
void RegisterDcsSection(DcsSection section);

// Every registered section, sorted by priority (then by name).
std::vector<DcsSection> RegisteredDcsSections();

}  // namespace pgha::config

#endif  // PGHA_CONFIG_DCS_SECTIONS_H_
