#include "consul_session.h"

#include <cctype>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "pgha/base/json.h"
#include "pgha/base/log.h"

namespace pgha::backends::consul {
namespace {

// Parses the Go durations Consul prints ("10s", "1m0s", "500ms"); zero when unreadable.
absl::Duration ParseGoDuration(const std::string& text) {
  absl::Duration total;
  size_t i = 0;
  while (i < text.size()) {
    char* end = nullptr;
    double number = std::strtod(text.c_str() + i, &end);
    size_t unit_start = static_cast<size_t>(end - text.c_str());
    if (unit_start == i) return absl::ZeroDuration();
    size_t unit_end = unit_start;
    while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end]))) {
      ++unit_end;
    }
    std::string unit = text.substr(unit_start, unit_end - unit_start);
    if (unit == "h") {
      total += absl::Hours(number);
    } else if (unit == "m") {
      total += absl::Minutes(number);
    } else if (unit == "s") {
      total += absl::Seconds(number);
    } else if (unit == "ms") {
      total += absl::Milliseconds(number);
    } else if (unit == "us" || unit == "µs") {
      total += absl::Microseconds(number);
    } else if (unit == "ns") {
      total += absl::Nanoseconds(number);
    } else {
      return absl::ZeroDuration();
    }
    i = unit_end;
  }
  return total;
}

// "Invalid Session TTL '5000000000', must be between [10s=24h0m0s]" -> 10s.
absl::Duration MinimumFromError(const std::string& body) {
  size_t open = body.find('[');
  size_t eq = body.find('=', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || eq == std::string::npos) return absl::Seconds(10);
  absl::Duration d = ParseGoDuration(body.substr(open + 1, eq - open - 1));
  return d > absl::ZeroDuration() ? d : absl::Seconds(10);
}

}  // namespace

SessionManager::SessionManager(HttpTransport* http, SessionOptions options, absl::Duration ttl)
    : http_(http), options_(std::move(options)), ttl_(ttl) {}

void SessionManager::SetTtl(absl::Duration ttl) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ttl == ttl_) return;
  ttl_ = ttl;
  if (!id_.empty()) {
    PGHA_LOG(INFO) << "consul: ttl changed to " << absl::FormatDuration(ttl)
                   << "; the next write uses a new session";
    id_.clear();
  }
}

std::string SessionManager::id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return id_;
}

absl::StatusOr<std::string> SessionManager::Ensure(absl::Time deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!id_.empty()) return id_;
  }
  std::lock_guard<std::mutex> creating(create_mu_);
  absl::Duration ttl;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!id_.empty()) return id_;
    ttl = ttl_;
  }
  return Create(ttl, deadline);
}

absl::StatusOr<std::string> SessionManager::Create(absl::Duration ttl, absl::Time deadline) {
  absl::Duration session_ttl;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Consul invalidates a session up to 2x its TTL after the last renewal.
    session_ttl = std::max(ttl / 2, min_session_ttl_);
  }
  for (int attempt = 0;; ++attempt) {
    Json body = {{"Name", options_.name},
                 {"TTL", GoDuration(session_ttl)},
                 {"Behavior", "delete"},
                 {"LockDelay", GoDuration(options_.lock_delay)},
                 {"Checks", options_.checks}};
    absl::StatusOr<HttpResponse> r = http_->Send(Method::kPut, "/v1/session/create", {},
                                                 body.dump(), /*idempotent=*/false, deadline);
    if (!r.ok()) return r.status();
    if (r->status == 200) {
      Json answer = ParseUntrustedJson(r->body);
      if (!answer.is_object() || !answer.contains("ID") || !answer["ID"].is_string()) {
        return absl::InternalError("consul session create: no ID in the answer");
      }
      std::string id = answer["ID"].get<std::string>();
      std::lock_guard<std::mutex> lock(mu_);
      id_ = id;
      PGHA_LOG(INFO) << "consul: created session " << id << " (ttl " << GoDuration(session_ttl)
                     << ")";
      return id;
    }
    // The agent's session_ttl_min is above ttl/2: use its minimum (Patroni's adjust_ttl).
    if (r->status == 500 && absl::StartsWith(r->body, "Invalid Session TTL") && attempt == 0) {
      absl::Duration minimum = MinimumFromError(r->body);
      PGHA_LOG(WARNING) << "consul: changing the session TTL from " << GoDuration(session_ttl)
                        << " to the agent's minimum " << GoDuration(minimum);
      session_ttl = std::max(session_ttl, minimum);
      std::lock_guard<std::mutex> lock(mu_);
      min_session_ttl_ = minimum;
      continue;
    }
    return StatusFromResponse("consul session create", *r);
  }
}

absl::Status SessionManager::KeepAlive(absl::Time deadline) {
  std::string current = id();
  if (current.empty()) return Ensure(deadline).status();
  absl::StatusOr<HttpResponse> r =
      http_->Send(Method::kPut, "/v1/session/renew/" + EscapePath(current), {}, "",
                  /*idempotent=*/true, deadline);
  if (!r.ok()) return r.status();
  if (r->status == 200) return absl::OkStatus();
  if (r->status == 404) {
    PGHA_LOG(WARNING) << "consul: session " << current
                      << " is gone (expired or destroyed); its keys are gone too";
    Forget(current);
    return Ensure(deadline).status();
  }
  return StatusFromResponse("consul session renew", *r);
}

void SessionManager::Forget(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (id_ == id) id_.clear();
}

absl::Status SessionManager::Destroy(absl::Time deadline) {
  std::string current;
  {
    std::lock_guard<std::mutex> lock(mu_);
    current.swap(id_);
  }
  if (current.empty()) return absl::OkStatus();
  absl::StatusOr<HttpResponse> r =
      http_->Send(Method::kPut, "/v1/session/destroy/" + EscapePath(current), {}, "",
                  /*idempotent=*/true, deadline);
  if (!r.ok()) return r.status();
  if (r->status == 200) return absl::OkStatus();
  return StatusFromResponse("consul session destroy", *r);
}

}  // namespace pgha::backends::consul
