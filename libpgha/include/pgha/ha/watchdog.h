// A watchdog device (/dev/watchdog, softdog): armed while this node is the primary, kicked after
// every successful lock refresh, so that a daemon that stalls longer than the TTL gets its host
// reset before a replica can be promoted.
// Thread-safety: used from the HA loop thread only.
#ifndef PGHA_HA_WATCHDOG_H_
#define PGHA_HA_WATCHDOG_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace pgha::ha {

class Watchdog {
 public:
  virtual ~Watchdog() = default;
  // Whether activation can be expected to work (the device exists and is writable).
  virtual bool Usable() const = 0;
  virtual absl::Status Activate(absl::Duration timeout) = 0;
  virtual absl::Status Keepalive() = 0;
  virtual void Disable() = 0;
  virtual bool Active() const = 0;
};

// The Linux watchdog device API (open, WDIOC_SETTIMEOUT, WDIOC_KEEPALIVE, magic close 'V').
std::unique_ptr<Watchdog> MakeDeviceWatchdog(const std::string& device);
// Mode off: never usable, never active.
std::unique_ptr<Watchdog> MakeNullWatchdog();

}  // namespace pgha::ha

#endif  // PGHA_HA_WATCHDOG_H_
