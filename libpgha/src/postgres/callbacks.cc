#include "callbacks.h"

#include <signal.h>

#include "absl/strings/str_join.h"
#include "pgha/base/log.h"

namespace pgha::pg {

CallbackRunner::~CallbackRunner() {
  std::lock_guard<std::mutex> lock(mu_);
  for (Slot* slot : {&main_, &reload_}) {
    if (!slot->process) continue;
    if (!slot->process->Wait(absl::Seconds(5)).ok()) {
      PGHA_LOG(WARNING) << "callback " << slot->what << " still runs at shutdown; killing it";
      slot->process->Signal(SIGKILL);
      (void)slot->process->Wait(absl::Seconds(5));
    }
    slot->process.reset();
  }
}

void CallbackRunner::ReapSlot(Slot& slot) {
  if (!slot.process) return;
  ProcessResult result;
  if (!slot.process->Poll(&result)) return;
  if (result.ok()) {
    PGHA_LOG(DEBUG) << "callback " << slot.what << " finished";
  } else {
    PGHA_LOG(WARNING) << "callback " << slot.what << " failed: " << result.Describe();
  }
  slot.process.reset();
}

void CallbackRunner::Reap() {
  std::lock_guard<std::mutex> lock(mu_);
  ReapSlot(main_);
  ReapSlot(reload_);
}

void CallbackRunner::Run(const std::string& command, const std::vector<std::string>& args,
                         bool own_slot) {
  if (command.empty()) return;
  auto words = SplitCommandLine(command);
  if (!words.ok() || words->empty()) {
    PGHA_LOG(ERROR) << "cannot run callback: " << words.status().message();
    return;
  }
  std::vector<std::string> argv = *words;
  argv.insert(argv.end(), args.begin(), args.end());
  std::lock_guard<std::mutex> lock(mu_);
  Slot& slot = own_slot ? reload_ : main_;
  ReapSlot(slot);
  if (slot.process) {
    PGHA_LOG(WARNING) << "killing callback " << slot.what << " that is still running";
    slot.process->Signal(SIGKILL);
    (void)slot.process->Wait(absl::Seconds(5));
    slot.process.reset();
  }
  std::string what = absl::StrJoin(argv, " ");
  PGHA_LOG(INFO) << "calling callback: " << what;
  // The callback's output goes to our stderr (the daemon's log), as with Patroni.
  auto started = runner_->Start({.argv = argv, .inherit_output = true});
  if (!started.ok()) {
    PGHA_LOG(ERROR) << "callback " << what << " could not start: " << started.status().message();
    return;
  }
  slot.what = what;
  slot.process = std::move(*started);
}

}  // namespace pgha::pg
