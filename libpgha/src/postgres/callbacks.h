// Runs user callbacks (on_start, on_role_change, ...) in the background, one at a time as in
// Patroni: starting a callback kills a still-running previous one (and its children); on_reload
// has a slot of its own so that a reload never cancels a role change notification.
#ifndef PGHA_POSTGRES_CALLBACKS_H_
#define PGHA_POSTGRES_CALLBACKS_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pgha/base/process_runner.h"

namespace pgha::pg {

class CallbackRunner {
 public:
  explicit CallbackRunner(ProcessRunner* runner) : runner_(runner) {}
  ~CallbackRunner();  // gives running callbacks a few seconds, then kills them

  // Starts `command` (split like a shell word list) with `args` appended. Never blocks.
  void Run(const std::string& command, const std::vector<std::string>& args, bool own_slot);
  // Reaps finished callbacks (logging their exit status). Cheap; call it often.
  void Reap();

 private:
  struct Slot {
    std::string what;
    std::unique_ptr<RunningProcess> process;
  };
  void ReapSlot(Slot& slot);

  ProcessRunner* runner_;
  std::mutex mu_;
  Slot main_;    // guarded by mu_
  Slot reload_;  // guarded by mu_
};

}  // namespace pgha::pg

#endif  // PGHA_POSTGRES_CALLBACKS_H_
