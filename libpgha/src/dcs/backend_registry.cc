#include "pgha/dcs/backend_registry.h"

#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pgha/base/status_macros.h"

namespace pgha::dcs {
namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, BackendRegistration> backends;  // by name
};

// Never destroyed: backends may register from static initializers, and threads still running at
// exit may build one.
Registry& GetRegistry() {
  static Registry* registry = new Registry;
  return *registry;
}

// What to link and call for a section nobody serves. Only a hint for the built-ins: a backend
// not listed here registers all the same.
std::string ProviderHint(const std::string& section) {
  struct Hint {
    const char* section;
    const char* library;
    const char* function;
  };
  static constexpr Hint kHints[] = {
      {"etcd3", "pgha::etcd3", "RegisterEtcd3Backend"},
      {"etcd", "pgha::etcd3", "RegisterEtcd3Backend"},
      {"consul", "pgha::consul", "RegisterConsulBackend"},
      {"zookeeper", "pgha::zookeeper", "RegisterZooKeeperBackend"},
  };
  for (const auto& hint : kHints) {
    if (section == hint.section) {
      return absl::StrCat("link ", hint.library, " and call pgha::backends::", hint.function,
                          "() (or pgha::backends::RegisterBuiltinBackends() from pgha::backends) "
                          "before loading the configuration");
    }
  }
  return "link the library of a backend that serves it and call its Register function before "
         "loading the configuration";
}

}  // namespace

void RegisterBackend(BackendRegistration registration) {
  PGHA_CHECK(!registration.name.empty());
  PGHA_CHECK(registration.make != nullptr);
  for (const auto& section : registration.sections) config::RegisterDcsSection(section);
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  std::string name = registration.name;
  registry.backends[name] = std::move(registration);
}

absl::StatusOr<std::unique_ptr<DcsBackend>> MakeBackend(const config::DcsConfig& dcs,
                                                        const BackendOptions& options) {
  BackendFactory make;
  std::vector<std::string> registered;
  std::vector<std::string> sections;
  {
    Registry& registry = GetRegistry();
    std::lock_guard<std::mutex> lock(registry.mu);
    for (const auto& [name, backend] : registry.backends) {
      registered.push_back(name);
      bool serves = name == dcs.section;
      for (const auto& section : backend.sections) {
        sections.push_back(section.name);
        serves = serves || section.name == dcs.section;
      }
      if (serves) make = backend.make;
    }
  }
  if (!dcs.configured) {
    // A file whose only DCS section no linked backend registered looks like this too: say
    // which sections this program would have read.
    return absl::InvalidArgumentError(
        absl::StrCat("no DCS configured (sections this program serves: ",
                     sections.empty() ? "none" : absl::StrJoin(sections, ", "), ")"));
  }
  if (!make) {
    return absl::NotFoundError(absl::StrCat(
        "no DCS backend in this program serves the '", dcs.section,
        "' section (registered: ", registered.empty() ? "none" : absl::StrJoin(registered, ", "),
        "): ", ProviderHint(dcs.section)));
  }
  return make(dcs.settings, dcs.section, options);
}

std::vector<std::string> RegisteredBackends() {
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  std::vector<std::string> names;
  for (const auto& [name, backend] : registry.backends) names.push_back(name);
  return names;
}

}  // namespace pgha::dcs
