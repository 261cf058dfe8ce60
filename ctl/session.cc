#include "ctl/session.h"

#include <unistd.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "pgha/config/dcs_url.h"
#include "ctl/errors.h"
#include "pgha/base/pycompat.h"
#include "pgha/backends/factory.h"
#include "pgha/base/log.h"

namespace pgha::ctl {
namespace {

// click.get_app_dir("patroni") on Linux, plus patronictl's file name.
std::string DefaultConfigPath(const config::Environment& env) {
  auto xdg = env.find("XDG_CONFIG_HOME");
  std::string base;
  if (xdg != env.end() && !xdg->second.empty()) {
    base = xdg->second;
  } else {
    auto home = env.find("HOME");
    base = (home != env.end() ? home->second : std::string("~")) + "/.config";
  }
  return base + "/patroni/patronictl.yaml";
}

// LOGLEVEL / PATRONI_LOGLEVEL / PATRONI_LOG_LEVEL as patronictl reads them; WARNING by default
// so that library messages do not mix with command output.
void ConfigureLogging(const config::Environment& env) {
  log::Level level = log::Level::kWarning;
  for (const char* name : {"LOGLEVEL", "PATRONI_LOGLEVEL", "PATRONI_LOG_LEVEL"}) {
    auto it = env.find(name);
    log::Level parsed;
    if (it != env.end() && log::ParseLevel(it->second, &parsed).ok()) level = parsed;
  }
  log::SetLevel(level);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Session>> Session::Open(const GlobalOptions& options,
                                                       const config::Environment& env,
                                                       std::istream& in, std::ostream& out) {
  ConfigureLogging(env);
  std::string default_path = DefaultConfigPath(env);
  std::string path = options.config_file.empty() ? default_path : options.config_file;
  if (::access(path.c_str(), R_OK) != 0) {
    if (path != default_path) {
      return CtlError(
          absl::StrCat("Provided config file ", path,
                       " not existing or no read rights. Check the -c/--config-file parameter"));
    }
    path.clear();  // the default file is optional
  }

  std::optional<config::DcsUrl> url;
  config::Environment load_env = env;
  if (!options.dcs_url.empty()) {
    auto parsed = config::ParseDcsUrl(options.dcs_url);
    if (!parsed.ok()) return CtlError(std::string(parsed.status().message()));
    url = *parsed;
  }
  // Neither a scope nor a DCS section is required here: commands check what they need.
  config::LoadResult loaded = config::LoadCtlConfig(path, load_env);
  if (!loaded.ok()) {
    std::vector<std::string> errors;
    for (const auto& d : loaded.diagnostics.Sorted()) {
      if (d.severity == config::Severity::kError) errors.push_back(d.ToString());
    }
    return CtlError(absl::StrCat("invalid configuration:\n", absl::StrJoin(errors, "\n")));
  }
  config::Config cfg = *loaded.config;
  bool has_dcs = cfg.dcs.configured || url.has_value();
  if (url) {
    cfg.dcs = config::ToDcsConfig(*url);
    if (url->namespace_) cfg.namespace_ = *url->namespace_;
  }
  return std::unique_ptr<Session>(new Session(std::move(cfg), has_dcs, options.insecure, in, out,
                                              ::isatty(STDIN_FILENO) == 1,
                                              ::isatty(STDOUT_FILENO) == 1));
}

absl::StatusOr<std::string> Session::ClusterName(const std::string& argument) const {
  if (!argument.empty()) return argument;
  if (!config_.scope.empty()) return config_.scope;
  // patronictl goes on with no name and fails somewhere in the DCS layer; say what is missing.
  return CtlError("no cluster name given and the configuration has no scope");
}

absl::StatusOr<std::unique_ptr<dcs::Dcs>> Session::OpenDcs(const std::string& cluster_name) const {
  if (!has_dcs_) {
    return CtlError(
        "Can not find suitable configuration of distributed configuration store (give -d/--dcs-url "
        "or a configuration file with an etcd3, etcd, consul or zookeeper section)");
  }
  config::Config cfg = config_;
  cfg.scope = cluster_name;
  if (cfg.name.empty()) cfg.name = cluster_name;  // patronictl's config.setdefault('name', scope)
  // patronictl's defaults: it never reads the cluster's dynamic ttl/retry_timeout first.
  auto backend = backends::MakeBackend(cfg, absl::Seconds(30), absl::Seconds(10));
  if (!backend.ok()) return CtlError(std::string(backend.status().message()));
  return std::make_unique<dcs::Dcs>(std::move(*backend),
                                    dcs::KeyLayout(cfg.namespace_, cluster_name));
}

absl::StatusOr<dcs::ClusterStatePtr> Session::Load(dcs::Dcs& dcs) {
  auto state = dcs.Load(dcs::ReadMode::kLinearizable);
  if (!state.ok()) return CtlError(absl::StrCat("cannot read the DCS: ", state.status().message()));
  return *state;
}

absl::StatusOr<api::HttpResponse> Session::Request(const dcs::Member& member,
                                                   const std::string& method,
                                                   const std::string& endpoint,
                                                   const std::optional<Json>& body,
                                                   absl::Duration timeout) const {
  if (member.api_url.empty()) {
    return absl::UnavailableError(absl::StrCat("member ", member.name, " publishes no api_url"));
  }
  std::string url =
      endpoint.empty() ? member.api_url : api::WithPath(member.api_url, "/" + endpoint);
  // patronictl: ctl settings first, restapi ones as the fallback (3.0.2 semantics).
  const config::CtlConfig& ctl = config_.ctl;
  const config::RestApiConfig& rest = config_.restapi;
  std::optional<config::BasicAuth> auth =
      ctl.authentication ? ctl.authentication : rest.authentication;
  api::HttpTls tls;
  tls.cacert = !ctl.cacert.empty() ? ctl.cacert : rest.cafile;
  tls.certfile = !ctl.certfile.empty() ? ctl.certfile : rest.certfile;
  tls.keyfile = !ctl.keyfile.empty() ? ctl.keyfile : rest.keyfile;
  tls.keyfile_password = !ctl.keyfile_password.empty() ? ctl.keyfile_password : rest.keyfile_password;
  tls.insecure = ctl.insecure || insecure_;
  return api::HttpRequest(method, url, body ? py::JsonDumps(*body) : std::string(), timeout,
                          auth, tls);
}

void Session::Warn(const std::string& message) const {
  absl::Time now = Now();
  std::string stamp = absl::FormatTime("%Y-%m-%d %H:%M:%S", now, LocalZone());
  int64_t millis = absl::ToInt64Milliseconds(now - absl::FromUnixSeconds(absl::ToUnixSeconds(now)));
  out_ << std::flush;
  std::cerr << absl::StrFormat("%s,%03d - WARNING - %s\n", stamp, millis, message);
}

}  // namespace pgha::ctl
