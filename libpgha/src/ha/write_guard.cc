#include "pgha/ha/write_guard.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "fencer_link.h"
#include "pgha/base/clock.h"
#include "pgha/base/log.h"
#include "pgha/postgres/fence.h"

namespace pgha::ha {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// Monotonic absl::Time (MonotonicNow: steady_clock since its epoch) as a steady_clock point.
SteadyTime ToSteady(absl::Time t) {
  return SteadyTime(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(t - absl::UnixEpoch())));
}

class ThreadWriteGuard final : public WriteGuard {
 public:
  explicit ThreadWriteGuard(WriteGuardOptions options)
      : options_(options), link_(std::move(options)), thread_([this] { Run(); }) {}

  ~ThreadWriteGuard() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void Arm(const WriteDeadline& deadline) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!armed_) PGHA_LOG(INFO) << "write guard armed";
      armed_ = deadline;
      stop_writes_done_ = false;
      ++generation_;
    }
    cv_.notify_all();
  }

  void Disarm() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Nothing to change, unless the fencer has not heard from this daemon yet: it may still
      // be armed by a predecessor that died.
      if (!armed_ && generation_ != 0) return;
      if (armed_) PGHA_LOG(INFO) << "write guard disarmed";
      armed_.reset();
      ++generation_;
    }
    cv_.notify_all();
  }

  std::optional<WriteDeadline> Armed() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return armed_;
  }

 private:
  // The guard thread: fences at the deadlines, and keeps the fencer told of the current state.
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    // What the connected fencer was last told; kNeverSent after a (re)connection, so that a
    // fencer that was restarted learns the current state at once.
    constexpr uint64_t kNeverSent = ~uint64_t{0};
    uint64_t sent_generation = kNeverSent;
    absl::Time retry_fencer_at = absl::InfinitePast();
    while (!stop_) {
      absl::Time now = MonotonicNow();
      if (armed_) {
        if (now >= armed_->kill) {
          WriteDeadline fenced = *armed_;
          Fence(pg::FenceStage::kKill, lock);
          // Unless the loop re-armed meanwhile (a refresh that came in while we fenced).
          if (armed_ && *armed_ == fenced) armed_.reset();
          continue;
        }
        if (now >= armed_->stop_writes && !stop_writes_done_) {
          stop_writes_done_ = true;
          Fence(pg::FenceStage::kStopWrites, lock);
          continue;
        }
      }
      bool fencer_wanted = options_.fencer_mode != FencerMode::kOff;
      if (!link_.connected()) sent_generation = kNeverSent;
      // Generation 0: the loop has said nothing yet; connect (start the fencer) but leave its
      // state alone until the first decision (a predecessor's deadline may still hold).
      bool need_send = generation_ != 0 && sent_generation != generation_;
      bool need_work = need_send || !link_.connected();
      if (fencer_wanted && need_work && now >= retry_fencer_at) {
        uint64_t generation = generation_;
        std::optional<WriteDeadline> state = armed_;
        lock.unlock();
        bool ok = need_send ? TellFencer(state) : link_.Request("STATUS").ok();
        lock.lock();
        if (ok && need_send) sent_generation = generation;
        if (!ok) retry_fencer_at = MonotonicNow() + absl::Seconds(1);
        continue;
      }
      absl::Time wake = absl::InfiniteFuture();
      if (armed_) wake = stop_writes_done_ ? armed_->kill : armed_->stop_writes;
      if (fencer_wanted && need_work) wake = std::min(wake, retry_fencer_at);
      // Check the fencer's connection every few seconds so that a killed fencer is restarted.
      if (fencer_wanted) wake = std::min(wake, now + absl::Seconds(2));
      cv_.wait_until(lock, ToSteady(wake));
      if (fencer_wanted && link_.connected() && MonotonicNow() >= now + absl::Seconds(2)) {
        lock.unlock();
        bool alive = link_.Request("STATUS").ok();
        lock.lock();
        if (!alive) PGHA_LOG(WARNING) << "the fencer stopped answering; reconnecting";
      }
    }
    bool armed = armed_.has_value();
    lock.unlock();
    // A fencer left armed keeps guarding the primary this daemon no longer can (it exits
    // without having stopped PostgreSQL); one with nothing to guard is stopped with us.
    if (!armed) link_.StopSpawned();
  }

  void Fence(pg::FenceStage stage, std::unique_lock<std::mutex>& lock) {
    lock.unlock();
    pg::FenceResult r = pg::FencePostgres(options_.data_dir, stage);
    const char* what = stage == pg::FenceStage::kKill ? "kill" : "stop-writes";
    if (r.acted) {
      PGHA_LOG(ERROR) << "write deadline (" << what << ") passed without a lock refresh: "
                      << r.detail;
    } else {
      PGHA_LOG(INFO) << "write deadline (" << what << ") passed: " << r.detail;
    }
    lock.lock();
  }

  bool TellFencer(const std::optional<WriteDeadline>& state) {
    std::string request = "DISARM";
    if (state) {
      request = absl::StrCat("ARM ", absl::ToUnixNanos(state->stop_writes), " ",
                             absl::ToUnixNanos(state->kill));
    }
    auto answer = link_.Request(request);
    if (answer.ok() && *answer == "OK") return true;
    PGHA_LOG(WARNING) << "fencer: " << (answer.ok() ? *answer : std::string(answer.status().message()));
    return false;
  }

  const WriteGuardOptions options_;
  internal::FencerLink link_;  // guard thread only
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<WriteDeadline> armed_;  // guarded by mu_
  bool stop_writes_done_ = false;       // guarded by mu_
  uint64_t generation_ = 0;             // guarded by mu_
  bool stop_ = false;                   // guarded by mu_
  std::thread thread_;
};

}  // namespace

std::unique_ptr<WriteGuard> MakeThreadWriteGuard(WriteGuardOptions options) {
  return std::make_unique<ThreadWriteGuard>(std::move(options));
}

}  // namespace pgha::ha
