#include "daemon.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <iostream>
#include <thread>

#include "pgha/api/http_client.h"
#include "pgha/api/rest_server.h"
#include "pgha/base/log_format.h"
#include "pgha/backends/factory.h"
#include "pgha/base/log.h"
#include "pgha/base/version.h"
#include "pgha/config/loader.h"
#include "pgha/dcs/dcs.h"
#include "pgha/ha/ha_loop.h"
#include "pgha/postgres/controller.h"

namespace pgha::daemon {
namespace {

std::optional<config::Config> LoadConfig(const std::string& path) {
  auto result = config::LoadLocalConfig(path, config::ProcessEnvironment());
  for (const auto& d : result.diagnostics.Sorted()) {
    if (d.severity == config::Severity::kError) {
      PGHA_LOG(ERROR) << d.ToString();
    } else {
      PGHA_LOG(DEBUG) << d.ToString();
    }
  }
  if (!result.ok()) return std::nullopt;
  return *result.config;
}

void ConfigureLogging(const config::Config& c) {
  log::Level level = log::Level::kInfo;
  if (log::ParseLevel(c.log.level, &level).ok()) log::SetLevel(level);
  // Checked when the configuration was loaded; a format that fails here keeps the previous one.
  auto format = log::LineFormat::Parse(c.log.format, c.log.dateformat);
  if (format.ok()) log::SetLineFormat(*std::move(format));
  if (!c.log.dir.empty()) {
    absl::Status s =
        log::ConfigureLogFile({c.log.dir, c.log.file_size, c.log.file_num, c.log.mode, false});
    if (!s.ok()) PGHA_LOG(ERROR) << s.message();
  }
}

// Patroni 3.0.4+: a second daemon started under a name that already runs would fight the first
// over one member key. When the DCS holds a member of our name whose REST API answers, the
// name is taken. (Unreadable DCS or no answer: start; the member key of a crashed daemon
// outlives it by up to ttl.)
bool NameAlreadyRunning(dcs::Dcs& dcs, const std::string& name, const api::HttpTls& tls) {
  auto cluster = dcs.Load();
  if (!cluster.ok()) return false;
  const dcs::Member* member = (*cluster)->FindMember(name);
  if (member == nullptr || member->api_url.empty()) return false;
  auto answer = api::HttpRequest("GET", api::WithPath(member->api_url, "/liveness"), "",
                                 absl::Seconds(2), std::nullopt, tls);
  return answer.ok();
}

}  // namespace

void NotifySystemd(const std::string& state) {
  const char* socket_path = std::getenv("NOTIFY_SOCKET");
  if (socket_path == nullptr || *socket_path == '\0') return;
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path, sizeof addr.sun_path - 1);
  socklen_t len = sizeof addr;
  if (socket_path[0] == '@') {  // abstract namespace
    addr.sun_path[0] = '\0';
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + std::strlen(socket_path));
  }
  (void)!::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
                  len);
  ::close(fd);
}

// The write guard's settings from the `fencer` section (docs/ha.md).
ha::WriteGuardOptions GuardOptions(const config::Config& cfg) {
  ha::WriteGuardOptions o;
  o.data_dir = cfg.postgresql.data_dir;
  while (o.data_dir.size() > 1 && o.data_dir.back() == '/') o.data_dir.pop_back();
  o.fencer_mode = cfg.fencer.mode == "off"        ? ha::FencerMode::kOff
                  : cfg.fencer.mode == "external" ? ha::FencerMode::kExternal
                                                  : ha::FencerMode::kSpawn;
  o.fencer_socket = cfg.fencer.socket.empty() ? o.data_dir + ".fencer" : cfg.fencer.socket;
  o.fencer_binary = cfg.fencer.binary;
  if (o.fencer_binary.empty()) {
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    std::string dir = n > 0 ? std::string(self, static_cast<size_t>(n)) : std::string();
    dir = dir.substr(0, dir.find_last_of('/') + 1);
    o.fencer_binary = dir + "pgha-fencer";
  }
  return o;
}

int Run(const std::string& config_path) {
  // Signals are taken by a dedicated thread (sigwait), so every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto loaded = LoadConfig(config_path);
  if (!loaded) {
    std::cerr << "pgha: the configuration has errors (run pgha --validate-config " << config_path
              << ")\n";
    return 1;
  }
  config::Config cfg = *loaded;
  ConfigureLogging(cfg);
  PGHA_LOG(INFO) << "pgha " << kPghaVersion << " starting: scope " << cfg.scope << ", member "
                 << cfg.name;

  std::vector<std::string> warnings;
  config::EffectiveConfig effective =
      config::BuildEffectiveConfig(cfg, cfg.bootstrap.dcs, &warnings);
  auto backend = backends::MakeBackend(cfg, absl::Seconds(effective.dynamic.ttl),
                                       absl::Seconds(effective.dynamic.retry_timeout));
  if (!backend.ok()) {
    PGHA_LOG(CRITICAL) << "cannot use the DCS: " << backend.status().message();
    return 1;
  }
  dcs::Dcs dcs(std::move(*backend), dcs::KeyLayout(cfg.namespace_, cfg.scope));
  api::HttpTls tls;
  tls.cacert = cfg.ctl.cacert.empty() ? cfg.restapi.cafile : cfg.ctl.cacert;
  tls.certfile = cfg.ctl.certfile;
  tls.keyfile = cfg.ctl.keyfile;
  tls.keyfile_password = cfg.ctl.keyfile_password;
  tls.insecure = cfg.ctl.insecure || tls.cacert.empty();
  if (NameAlreadyRunning(dcs, cfg.name, tls)) {
    PGHA_LOG(CRITICAL) << "Can't start; there is already a node named '" << cfg.name << "' running";
    return 1;
  }

  pg::ControllerOptions pg_options;
  pg_options.local = cfg;
  pg_options.effective = effective;
  auto controller = pg::MakePostgresController(pg_options);

  api::HttpPeerProber prober(tls, cfg.restapi.authentication);
  std::unique_ptr<ha::Watchdog> watchdog = cfg.watchdog.mode == config::WatchdogMode::kOff
                                               ? ha::MakeNullWatchdog()
                                               : ha::MakeDeviceWatchdog(cfg.watchdog.device);
  // Started before the REST API and the loop, so that the fencer (a process of its own) never
  // inherits a listening socket, and is there before this node can become a primary.
  std::unique_ptr<ha::WriteGuard> guard = ha::MakeThreadWriteGuard(GuardOptions(cfg));
  ha::StatusBoard board;
  // A finished task (initdb, clone, start, rewind) wakes the loop for its next step. Declared
  // after the board: the worker's thread may still wake it while the worker is destroyed.
  ha::ThreadWorker worker([&board] { board.Wake(); });
  std::atomic<int64_t> ttl_seconds{effective.dynamic.ttl};
  std::atomic<int64_t> loop_wait_seconds{effective.dynamic.loop_wait};

  api::RestServerOptions rest_options;
  rest_options.config = cfg.restapi;
  rest_options.board = &board;
  rest_options.prober = &prober;
  rest_options.live_positions = [&] { return controller->ObservePositions(); };
  rest_options.ttl = [&] { return absl::Seconds(ttl_seconds.load()); };
  rest_options.loop_wait = [&] { return absl::Seconds(loop_wait_seconds.load()); };
  auto rest = api::RestServer::Start(rest_options);
  if (!rest.ok()) {
    PGHA_LOG(CRITICAL) << rest.status().message();
    return 1;
  }
  PGHA_LOG(INFO) << "REST API listening on " << cfg.restapi.listen;
  if (!cfg.restapi.authentication && cfg.restapi.allowlist.empty() &&
      !cfg.restapi.allowlist_include_members) {
    // As in Patroni the default, but anyone who reaches the port can then switch over,
    // restart or reconfigure the cluster.
    PGHA_LOG(WARNING) << "the REST API accepts POST, PUT, PATCH and DELETE from anyone: set "
                         "restapi.authentication or restapi.allowlist";
  }

  ha::HaLoopOptions loop_options;
  loop_options.local = cfg;
  loop_options.dcs = &dcs;
  loop_options.pg = controller.get();
  loop_options.prober = &prober;
  loop_options.worker = &worker;
  loop_options.watchdog = watchdog.get();
  loop_options.guard = guard.get();
  loop_options.board = &board;
  loop_options.reload = [config_path, &rest]() -> std::optional<config::Config> {
    auto fresh = LoadConfig(config_path);
    if (!fresh) {
      PGHA_LOG(ERROR) << "reload: the configuration has errors; keeping the current one";
      return fresh;
    }
    ConfigureLogging(*fresh);
    // As Patroni: the restapi section (and the certificate files) read again.
    absl::Status rest_reloaded = (*rest)->Reload(fresh->restapi);
    if (!rest_reloaded.ok()) {
      PGHA_LOG(ERROR) << "reload: the REST API keeps its settings: " << rest_reloaded.message();
    }
    return fresh;
  };
  ha::HaLoop loop(std::move(loop_options));

  std::atomic<bool> stopping{false};
  std::thread signal_thread([&] {
    while (!stopping) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        PGHA_LOG(INFO) << "received SIGHUP: reloading the configuration";
        loop.RequestReload();
        board.Wake();
      } else {
        PGHA_LOG(INFO) << "received " << (sig == SIGTERM ? "SIGTERM" : "SIGINT")
                       << ": shutting down";
        loop.RequestStop();
        board.Wake();
        return;
      }
    }
  });

  bool ready_sent = false;
  std::thread ready_thread([&] {
    // systemd readiness once the first cycle published a status.
    while (!stopping && !ready_sent) {
      if (board.Current()->loop_last_run) {
        NotifySystemd("READY=1");
        ready_sent = true;
        return;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
  });

  loop.Run();
  stopping = true;
  NotifySystemd("STOPPING=1");
  board.Close();  // nobody will answer a waiting POST /restart now
  (*rest)->Stop();
  int code = 0;
  if (loop.exit_reason()) {
    PGHA_LOG(CRITICAL) << *loop.exit_reason();
    code = 1;
  } else {
    loop.Shutdown();
  }
  ::kill(::getpid(), SIGTERM);  // release the signal thread if it still waits
  signal_thread.join();
  ready_thread.join();
  PGHA_LOG(INFO) << "pgha stopped";
  return code;
}

}  // namespace pgha::daemon
