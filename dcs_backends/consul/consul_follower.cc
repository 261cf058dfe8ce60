#include "consul_follower.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"

namespace pgha::backends::consul {

struct PrefixFollower::State {
  State(HttpOptions options, std::string p, Query c)
      : http(std::move(options), absl::Seconds(10)), path(std::move(p)), consistency(std::move(c)) {}

  HttpTransport http;
  const std::string path;
  const Query consistency;
  std::mutex mu;
  std::condition_variable cv;
  std::optional<HttpResponse> latest;  // guarded by mu: the last answer, while queries succeed
  bool reset = false;                  // guarded by mu: the index went backwards
  bool stop = false;                   // guarded by mu

  void Run() {
    int64_t index = 0;  // the first query answers at once with the present
    while (true) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (stop) return;
      }
      Query query = {{"recurse", ""}};
      if (index > 0) {
        query.emplace_back("index", absl::StrCat(index));
        query.emplace_back("wait", GoDuration(kBlockingWait));
      }
      query.insert(query.end(), consistency.begin(), consistency.end());
      absl::StatusOr<HttpResponse> r =
          index > 0 ? http.BlockingGet(path, query, kBlockingWait)
                    : http.Send(Method::kGet, path, query, "", /*idempotent=*/true, http.Deadline());
      std::unique_lock<std::mutex> lock(mu);
      if (stop) return;
      if (r.ok() && (r->status == 200 || r->status == 404)) {
        if (r->index > 0 && r->index < index) reset = true;
        index = r->index > 0 ? r->index : 0;
        latest = *std::move(r);
        cv.notify_all();
        continue;
      }
      // The agent is unreachable or refused: serve nothing until a query succeeds again.
      latest.reset();
      cv.notify_all();
      cv.wait_for(lock, std::chrono::milliseconds(300), [&] { return stop; });
    }
  }
};

PrefixFollower::PrefixFollower(HttpOptions options, std::string path, Query consistency)
    : state_(std::make_shared<State>(std::move(options), std::move(path), std::move(consistency))) {
  std::thread([state = state_] { state->Run(); }).detach();
}

PrefixFollower::~PrefixFollower() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->stop = true;
  state_->cv.notify_all();
}

std::optional<HttpResponse> PrefixFollower::Listing(int64_t min_index, absl::Duration wait) {
  std::unique_lock<std::mutex> lock(state_->mu);
  auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(wait);
  state_->cv.wait_until(lock, deadline, [&] {
    return !state_->latest || state_->latest->index >= min_index;
  });
  if (!state_->latest || state_->latest->index < min_index) return std::nullopt;
  return state_->latest;
}

bool PrefixFollower::WaitForChange(int64_t since, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(state_->mu);
  auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  auto moved = [&] { return state_->reset || (state_->latest && state_->latest->index > since); };
  bool changed = state_->cv.wait_until(lock, deadline, moved);
  state_->reset = false;
  return changed;
}

}  // namespace pgha::backends::consul
