#include "pgha/ha/node_status.h"

namespace pgha::ha {

void StatusBoard::Publish(NodeStatus status) {
  auto next = std::make_shared<const NodeStatus>(std::move(status));
  std::lock_guard<std::mutex> lock(mu_);
  status_ = std::move(next);
}

std::shared_ptr<const NodeStatus> StatusBoard::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

int StatusBoard::Submit(Command command) {
  std::lock_guard<std::mutex> lock(mu_);
  int ticket = next_ticket_++;
  commands_.emplace_back(ticket, std::move(command));
  woken_ = true;
  cv_.notify_all();
  return ticket;
}

std::optional<std::pair<int, Command>> StatusBoard::TakeCommand() {
  std::lock_guard<std::mutex> lock(mu_);
  if (commands_.empty()) return std::nullopt;
  auto next = commands_.front();
  commands_.pop_front();
  return next;
}

void StatusBoard::Complete(int ticket, CommandResult result) {
  std::lock_guard<std::mutex> lock(mu_);
  result.done = true;
  results_[ticket] = std::move(result);
  cv_.notify_all();
}

CommandResult StatusBoard::Await(int ticket, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
               [&] { return closed_ || results_.count(ticket) != 0; });
  auto it = results_.find(ticket);
  if (it == results_.end()) return CommandResult{};
  CommandResult out = it->second;
  results_.erase(it);
  return out;
}

void StatusBoard::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

bool StatusBoard::Closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

void StatusBoard::Wake() {
  std::lock_guard<std::mutex> lock(mu_);
  woken_ = true;
  cv_.notify_all();
}

void StatusBoard::WaitForWake(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return woken_; });
  woken_ = false;
}

void StatusBoard::NoteFailsafeHeartbeat(absl::Time at) {
  std::lock_guard<std::mutex> lock(mu_);
  failsafe_heartbeat_ = at;
}

std::optional<absl::Time> StatusBoard::LastFailsafeHeartbeat() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failsafe_heartbeat_;
}

bool StatusBoard::ConsumeWake() {
  std::lock_guard<std::mutex> lock(mu_);
  bool was = woken_;
  woken_ = false;
  return was;
}

}  // namespace pgha::ha
