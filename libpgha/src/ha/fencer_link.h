// The daemon's side of the fencer protocol (see fencer/main.cc): connect, start the fencer when
// none answers (FencerMode::kSpawn), send one request and read one answer, with short timeouts
// so that a hung fencer cannot hold the guard thread for long.
// Thread-safety: one thread (the guard's).
#ifndef PGHA_HA_FENCER_LINK_H_
#define PGHA_HA_FENCER_LINK_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pgha/ha/write_guard.h"

namespace pgha::ha::internal {

class FencerLink {
 public:
  explicit FencerLink(WriteGuardOptions options) : o_(std::move(options)) {}
  ~FencerLink();

  // Sends `request` (one line, no newline) and returns the answer line. Connects (and, in spawn
  // mode, starts the fencer) first when needed. kUnavailable when the fencer cannot be reached.
  absl::StatusOr<std::string> Request(const std::string& request);
  // Asks a fencer this daemon started to exit (clean shutdown).
  void StopSpawned();
  bool connected() const { return fd_ >= 0; }

 private:
  absl::Status Connect();
  absl::Status Spawn();
  void Close();

  WriteGuardOptions o_;
  int fd_ = -1;
  pid_t spawned_pid_ = 0;  // the fencer this daemon started, 0 if none
};

}  // namespace pgha::ha::internal

#endif  // PGHA_HA_FENCER_LINK_H_
