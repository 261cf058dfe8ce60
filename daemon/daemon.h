// The pgha daemon's wiring: configuration -> DCS backend -> PostgreSQL controller -> REST API ->
// HA loop, plus signals and systemd readiness. No HA logic lives here.
#ifndef PGHA_DAEMON_DAEMON_H_
#define PGHA_DAEMON_DAEMON_H_

#include <string>

namespace pgha::daemon {

// Runs until SIGTERM/SIGINT (then hands the lock over and stops PostgreSQL) or a fatal
// condition. Returns the process exit code.
int Run(const std::string& config_path);

// Tells systemd (Type=notify) when NOTIFY_SOCKET is set; a no-op otherwise.
void NotifySystemd(const std::string& state);

}  // namespace pgha::daemon

#endif  // PGHA_DAEMON_DAEMON_H_
