// The write guard: enforces the write deadline (write_deadline.h) from outside the HA loop.
//
// The HA loop arms it after every successful lock refresh (an ArmWriteGuard action, decided by
// Decide) and disarms it when the node is no longer a primary holding the lock. The guard's own
// thread waits for the deadline and fences PostgreSQL (pgha/postgres/fence.h) when it passes
// without renewal, whatever the loop is doing: no DCS call, slow task or lock can delay it.
// It also renews the separate fencer process (fencer/), which does the same if this whole
// daemon stops (SIGSTOP, deadlock, crash, OOM kill).
//
// Thread-safety: Arm/Disarm/Armed from any thread; the guard thread is internal.
#ifndef PGHA_HA_WRITE_GUARD_H_
#define PGHA_HA_WRITE_GUARD_H_

#include <memory>
#include <optional>
#include <string>

#include "pgha/ha/write_deadline.h"

namespace pgha::ha {

class WriteGuard {
 public:
  virtual ~WriteGuard() = default;
  // From now on, writes must stop by `deadline` unless Arm is called again first.
  virtual void Arm(const WriteDeadline& deadline) = 0;
  // This node is no longer a primary holding the lock: nothing to enforce.
  virtual void Disarm() = 0;
  virtual std::optional<WriteDeadline> Armed() const = 0;
};

enum class FencerMode {
  kOff,       // no fencer process: the in-daemon guard (and /dev/watchdog) only
  kSpawn,     // connect to the fencer at `socket`, starting `binary` when none answers
  kExternal,  // connect only (systemd runs pgha-fencer as its own service)
};

struct WriteGuardOptions {
  std::string data_dir;
  FencerMode fencer_mode = FencerMode::kSpawn;
  std::string fencer_socket;  // unix socket path
  std::string fencer_binary;  // kSpawn: the pgha-fencer executable
};

// The daemon's guard: a thread of its own, plus the fencer link.
std::unique_ptr<WriteGuard> MakeThreadWriteGuard(WriteGuardOptions options);

// Records what it is told and enforces nothing (simulation, tests of logic).
class RecordingWriteGuard final : public WriteGuard {
 public:
  void Arm(const WriteDeadline& deadline) override { armed_ = deadline; }
  void Disarm() override { armed_.reset(); }
  std::optional<WriteDeadline> Armed() const override { return armed_; }

 private:
  std::optional<WriteDeadline> armed_;
};

}  // namespace pgha::ha

#endif  // PGHA_HA_WRITE_GUARD_H_
