// The registry of DCS sections, and the checks built on it (dcs_choice.h).
#include "pgha/config/dcs_sections.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "dcs_choice.h"
#include "pgha/base/status_macros.h"

namespace pgha::config {
namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, DcsSection> sections;  // by name
};

// Never destroyed: sections may be registered from static initializers and looked up from
// threads still running at exit.
Registry& GetRegistry() {
  static Registry* registry = new Registry;
  return *registry;
}

// "etcd3, etcd, consul or zookeeper".
std::string OrList(const std::vector<DcsSection>& sections) {
  std::string out;
  for (size_t i = 0; i < sections.size(); ++i) {
    if (i > 0) out += i + 1 == sections.size() ? " or " : ", ";
    out += sections[i].name;
  }
  return out;
}

std::string NoDcsMessage(const std::vector<DcsSection>& registered) {
  if (registered.empty()) {
    // A program that loads a configuration before registering any backend: say so rather than
    // ask the user for a section this program could not read anyway.
    return "no DCS configured: this program registered no DCS section (it must call "
           "pgha::backends::RegisterBuiltinBackends() or a backend's Register function before "
           "loading a configuration)";
  }
  const std::string& first = registered.front().name;
  bool vowel = !first.empty() && std::string("aeiou").find(absl::ascii_tolower(
                                     static_cast<unsigned char>(first[0]))) != std::string::npos;
  return absl::StrCat("no DCS configured: add ", vowel ? "an " : "a ", OrList(registered),
                      " section");
}

}  // namespace

void RegisterDcsSection(DcsSection section) {
  PGHA_CHECK(!section.name.empty());
  PGHA_CHECK(section.spec != nullptr);
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  std::string name = section.name;
  registry.sections[name] = std::move(section);
}

std::vector<DcsSection> RegisteredDcsSections() {
  std::vector<DcsSection> out;
  {
    Registry& registry = GetRegistry();
    std::lock_guard<std::mutex> lock(registry.mu);
    for (const auto& [name, section] : registry.sections) out.push_back(section);
  }
  // The map is ordered by name, and stable_sort keeps that order among equal priorities.
  std::stable_sort(out.begin(), out.end(), [](const DcsSection& a, const DcsSection& b) {
    return a.priority < b.priority;
  });
  return out;
}

namespace internal {

SpecPtr RegisteredDcsSpec(const std::string& name) {
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  auto it = registry.sections.find(name);
  return it == registry.sections.end() ? nullptr : it->second.spec;
}

const std::vector<std::string>& UnsupportedDcsNames() {
  static const std::vector<std::string>* names =
      new std::vector<std::string>{"exhibitor", "kubernetes", "raft"};
  return *names;
}

SpecPtr UnsupportedDcs(const std::string& name) {
  return WithCheck(Any(), [name](const Json&, const KeyPath& path, Validator& val) {
    // Built when the check runs: the registry may have grown since the table was made.
    std::vector<DcsSection> registered = RegisteredDcsSections();
    std::string use = registered.empty() ? "" : absl::StrCat(" (use ", OrList(registered), ")");
    val.Error(path, absl::StrCat("the ", name, " DCS is not supported by pgha", use), false);
  });
}

void CheckDcsChoice(const Json& v, const KeyPath& path, Validator& val) {
  std::vector<DcsSection> registered = RegisteredDcsSections();
  std::vector<const DcsSection*> present;
  for (const auto& section : registered) {
    if (v.contains(section.name)) present.push_back(&section);
  }
  bool unsupported = false;
  for (const auto& name : UnsupportedDcsNames()) unsupported = unsupported || v.contains(name);
  if (present.empty() && !unsupported) {
    val.Error(path, NoDcsMessage(registered), false);
  } else if (present.size() > 1) {
    val.Warning({present[1]->name},
                absl::StrCat("several DCS sections; pgha uses '", present[0]->name,
                             "' and ignores the others"),
                false);
  }
  if (!present.empty() && !present[0]->warning.empty()) {
    val.Warning({present[0]->name}, present[0]->warning, false);
  }
}

std::optional<DcsSection> ChosenDcsSection(const Json& document) {
  if (!document.is_object()) return std::nullopt;
  for (auto& section : RegisteredDcsSections()) {
    if (document.contains(section.name)) return std::move(section);
  }
  return std::nullopt;
}

}  // namespace internal
}  // namespace pgha::config
