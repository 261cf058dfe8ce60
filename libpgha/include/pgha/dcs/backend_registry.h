// Which DCS backends this program has, so that building the backend a configuration names is a
// lookup instead of a switch over every store libpgha knows: a backend library registers itself
// (its configuration sections and a factory), and the daemon, pghactl and embedders call
// MakeBackend with the configuration's DCS section. Adding a backend edits neither libpgha's
// config module nor this file.
//
//   pgha::backends::RegisterEtcd3Backend();  // or RegisterBuiltinBackends(): all of them
//   auto loaded = pgha::config::LoadLocalConfig(path, env);  // validates the etcd3 section
//   pgha::dcs::BackendOptions options;
//   options.scope = loaded.config->scope;
//   auto backend = pgha::dcs::MakeBackend(loaded.config->dcs, options);
//
// Register before loading a configuration: validation, the choice of the section and the
// PATRONI_<DCS>_* variables use the registered sections.
//
// Thread-safety: every function may be called from any thread. Factories run on the caller's
// thread, outside the registry's lock.
#ifndef PGHA_DCS_BACKEND_REGISTRY_H_
#define PGHA_DCS_BACKEND_REGISTRY_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pgha/base/json.h"
#include "pgha/config/config.h"
#include "pgha/config/dcs_sections.h"
#include "pgha/dcs/backend.h"

namespace pgha::dcs {

struct BackendOptions {
  absl::Duration ttl = absl::Seconds(30);            // the session's TTL (dynamic `ttl`)
  absl::Duration retry_timeout = absl::Seconds(10);  // the budget of one DCS call
  std::string scope;                                 // Consul names its session "<scope>-<member>"
  std::string member_name;
};

// Builds a backend from its section as validated (`settings`; `section` says which of the
// backend's sections it is, e.g. "etcd" or "etcd3"). Does not connect. kInvalidArgument for
// settings the backend cannot use (unreadable TLS files, no endpoints).
using BackendFactory = std::function<absl::StatusOr<std::unique_ptr<DcsBackend>>(
    const Json& settings, const std::string& section, const BackendOptions& options)>;

struct BackendRegistration {
  std::string name;                          // "etcd3"
  std::vector<config::DcsSection> sections;  // registered with config::RegisterDcsSection too
  BackendFactory make;
};

// Registers a backend and its sections. Registering a name again replaces that registration
// (so calling a backend's Register function twice is harmless).
void RegisterBackend(BackendRegistration registration);

// The backend that serves `dcs.section`, built with `options`. kInvalidArgument when
// !dcs.configured; kNotFound, naming the section and what provides it, when no registered
// backend serves it; otherwise what the factory returns.
absl::StatusOr<std::unique_ptr<DcsBackend>> MakeBackend(const config::DcsConfig& dcs,
                                                        const BackendOptions& options);

// The names of the registered backends, sorted.
std::vector<std::string> RegisteredBackends();

}  // namespace pgha::dcs

#endif  // PGHA_DCS_BACKEND_REGISTRY_H_
