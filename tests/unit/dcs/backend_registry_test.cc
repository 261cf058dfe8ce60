// The backend registry (pgha/dcs/backend_registry.h): a backend that libpgha has never heard of
// registers its section and factory, and the configuration module validates, chooses and
// overrides its section from what it registered.
#include <catch2/catch.hpp>

#include <algorithm>

#include "../config/config_test_util.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "pgha/config/loader.h"
#include "pgha/config/schema.h"
#include "pgha/dcs/backend_registry.h"

namespace pgha::dcs {
namespace {

using config::internal::CheckHostPort;
using config::internal::Int;
using config::internal::Map;
using config::internal::Opt;
using config::internal::Req;
using config::internal::Str;
using config::internal::WithCheck;
using testing::DumpDiagnostics;
using testing::FindDiagnostic;
using testing::MinimalConfig;

// Records what it was built from; no operation is needed here.
class RecordingBackend final : public DcsBackend {
 public:
  RecordingBackend(Json settings, std::string section, BackendOptions options)
      : settings(std::move(settings)), section(std::move(section)), options(std::move(options)) {}
  void SetTimeouts(absl::Duration, absl::Duration) override {}
  absl::StatusOr<RawSnapshot> Load(const std::string&, ReadMode) override { return No(); }
  absl::StatusOr<Version> Create(const std::string&, const std::string&, Binding) override {
    return No();
  }
  absl::StatusOr<Version> CompareAndSet(const std::string&, const std::string&, Version,
                                        Binding) override {
    return No();
  }
  absl::StatusOr<Version> Put(const std::string&, const std::string&, Binding) override {
    return No();
  }
  absl::Status CompareAndDelete(const std::string&, Version) override { return No(); }
  absl::Status DeletePrefix(const std::string&) override { return No(); }
  absl::Status KeepAlive() override { return No(); }
  std::string SessionId() const override { return ""; }
  absl::StatusOr<Version> RefreshLock(const std::string&, const std::string&, Version) override {
    return No();
  }
  absl::Status ReleaseLock(const std::string&, const std::string&, Version) override {
    return No();
  }
  absl::StatusOr<bool> WaitForChange(const std::string&, int64_t, absl::Duration) override {
    return No();
  }
  absl::Status CloseSession() override { return No(); }

  const Json settings;
  const std::string section;
  const BackendOptions options;

 private:
  static absl::Status No() { return absl::UnimplementedError("recording backend"); }
};

// "memdcs": an endpoint (host:port, required) and a shard count; preferred over every built-in.
void RegisterMemDcs() {
  config::DcsSection section;
  section.name = "memdcs";
  section.spec = Map({Req("endpoint", WithCheck(Str(), CheckHostPort)), Opt("shards", Int(1, 16))});
  section.priority = 5;
  section.warning = "memdcs keeps nothing across restarts";
  section.env_keys = {"shards"};
  BackendRegistration registration;
  registration.name = "memdcs";
  registration.sections = {section};
  registration.make =
      [](const Json& settings, const std::string& name,
         const BackendOptions& options) -> absl::StatusOr<std::unique_ptr<DcsBackend>> {
    return std::make_unique<RecordingBackend>(settings, name, options);
  };
  RegisterBackend(registration);
}

std::string WithMemDcs(const std::string& section) {
  return absl::StrReplaceAll(MinimalConfig(), {{"etcd3:\n  hosts: 10.0.0.9:2379\n", section}});
}

TEST_CASE("a section no registered backend serves is kNotFound, naming it and its provider") {
  config::DcsConfig dcs;
  dcs.configured = true;
  dcs.section = "nosuchdcs";
  auto none = MakeBackend(dcs, {});
  REQUIRE(absl::IsNotFound(none.status()));
  CHECK(absl::StrContains(none.status().message(), "'nosuchdcs' section"));
  CHECK(absl::StrContains(none.status().message(), "Register"));

  CHECK(absl::IsInvalidArgument(MakeBackend(config::DcsConfig{}, {}).status()));
}

TEST_CASE("a registered backend is chosen by its section, built from it, checked by its spec") {
  RegisterMemDcs();
  RegisterMemDcs();  // again: replaces, harmless
  auto backends = RegisteredBackends();
  CHECK(std::count(backends.begin(), backends.end(), "memdcs") == 1);

  auto loaded = config::LoadLocalConfigFromText(WithMemDcs("memdcs:\n  endpoint: m1:7000\n"),
                                                "t.yml", {{"PATRONI_MEMDCS_SHARDS", "4"}});
  INFO(DumpDiagnostics(loaded.diagnostics));
  REQUIRE(loaded.ok());
  const config::DcsConfig& dcs = loaded.config->dcs;
  CHECK(dcs.configured);
  CHECK(dcs.section == "memdcs");
  CHECK(dcs.settings["shards"] == Json(4));  // typed by the spec's Int
  CHECK(FindDiagnostic(loaded.diagnostics, "memdcs", "keeps nothing"));

  BackendOptions options;
  options.ttl = absl::Seconds(20);
  options.scope = loaded.config->scope;
  auto made = MakeBackend(dcs, options);
  REQUIRE(made.ok());
  auto* recorded = dynamic_cast<RecordingBackend*>(made->get());
  REQUIRE(recorded != nullptr);
  CHECK(recorded->section == "memdcs");
  CHECK(recorded->settings["endpoint"] == Json("m1:7000"));
  CHECK(recorded->options.scope == "demo");
  CHECK(recorded->options.ttl == absl::Seconds(20));

  // Its spec checks it with file, line and key like any section.
  auto bad = config::LoadLocalConfigFromText(WithMemDcs("memdcs:\n  shards: 99\n"), "t.yml", {});
  CHECK_FALSE(bad.ok());
  CHECK(FindDiagnostic(bad.diagnostics, "memdcs.endpoint", "required setting is missing"));
  auto shards = FindDiagnostic(bad.diagnostics, "memdcs.shards", "above the maximum 16");
  REQUIRE(shards);
  CHECK(shards->pos.file == "t.yml");
  CHECK(shards->pos.line == 7);

  // Its priority puts it before the built-ins; the ignored section is reported.
  auto both = config::LoadLocalConfigFromText(MinimalConfig() + "memdcs:\n  endpoint: m1:7000\n",
                                              "t.yml", {});
  REQUIRE(both.ok());
  CHECK(both.config->dcs.section == "memdcs");
  CHECK(FindDiagnostic(both.diagnostics, "etcd3", "pgha uses 'memdcs'"));

  // And the "no DCS" message names it with the others.
  auto missing = config::LoadLocalConfigFromText(WithMemDcs(""), "t.yml", {});
  CHECK(FindDiagnostic(missing.diagnostics, "",
                       "add a memdcs, etcd3, etcd, consul or zookeeper section"));
}

}  // namespace
}  // namespace pgha::dcs
