#include "keepalive_stream.h"

#include <condition_variable>
#include <deque>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "pgha/base/clock.h"

namespace pgha::backends::etcd {

// The stream's answers are read on a thread of their own, so that waiting for one can end at
// the caller's deadline: a blocking Read has none.
class KeepAliveStream::Open {
 public:
  explicit Open(std::shared_ptr<Endpoint> endpoint, Connection& connection)
      : endpoint_(std::move(endpoint)) {
    connection.AddAuth(ctx_);
    stream_ = endpoint_->lease->LeaseKeepAlive(&ctx_);
    reader_ = std::thread([this] { Read(); });
  }
  ~Open() {
    ctx_.TryCancel();
    reader_.join();
    (void)stream_->Finish();
  }

  const std::shared_ptr<Endpoint>& endpoint() const { return endpoint_; }

  bool Send(int64_t lease) {
    etcdserverpb::LeaseKeepAliveRequest request;
    request.set_id(lease);
    return stream_->Write(request);
  }

  // The next answer, or nullopt once the stream ended or `deadline` passed (`*ended` tells).
  std::optional<etcdserverpb::LeaseKeepAliveResponse> Next(absl::Time deadline, bool* ended) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, ToGrpcDeadline(deadline), [&] { return !answers_.empty() || ended_; });
    *ended = ended_;
    if (answers_.empty()) return std::nullopt;
    etcdserverpb::LeaseKeepAliveResponse answer = std::move(answers_.front());
    answers_.pop_front();
    return answer;
  }

 private:
  void Read() {
    etcdserverpb::LeaseKeepAliveResponse answer;
    while (stream_->Read(&answer)) {
      std::lock_guard<std::mutex> lock(mu_);
      answers_.push_back(answer);
      cv_.notify_all();
    }
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
    cv_.notify_all();
  }

  std::shared_ptr<Endpoint> endpoint_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<etcdserverpb::LeaseKeepAliveRequest,
                                           etcdserverpb::LeaseKeepAliveResponse>>
      stream_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<etcdserverpb::LeaseKeepAliveResponse> answers_;  // guarded by mu_
  bool ended_ = false;                                         // guarded by mu_
  std::thread reader_;
};

KeepAliveStream::KeepAliveStream(Connection* connection) : connection_(connection) {}

KeepAliveStream::~KeepAliveStream() {
  std::lock_guard<std::mutex> lock(mu_);
  open_.reset();
}

absl::StatusOr<int64_t> KeepAliveStream::KeepAlive(int64_t lease, absl::Time deadline) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string last_error = "no answer";
  // A stream that broke since the last call is found out by its first write or read; the
  // keep-alive is then sent once more on a new stream (resending a keep-alive is harmless).
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!open_) {
      std::shared_ptr<Endpoint> endpoint = connection_->Current();
      absl::Time connect_by = std::min(deadline, MonotonicNow() + absl::Seconds(1));
      if (!endpoint->channel->WaitForConnected(ToGrpcDeadline(connect_by))) {
        connection_->Rotate(endpoint);
        return absl::UnavailableError(
            absl::StrCat("etcd lease keep-alive: cannot connect to ", endpoint->address));
      }
      open_ = std::make_unique<Open>(std::move(endpoint), *connection_);
    }
    bool ended = false;
    std::optional<etcdserverpb::LeaseKeepAliveResponse> answer;
    if (open_->Send(lease)) answer = open_->Next(deadline, &ended);
    else ended = true;
    if (answer && answer->id() == lease) return answer->ttl();
    std::shared_ptr<Endpoint> endpoint = open_->endpoint();
    open_.reset();
    if (answer) {
      last_error = "an answer for another lease";
      continue;
    }
    if (!ended) {
      // No answer by the deadline (a hanging peer): try another endpoint next time.
      connection_->Rotate(endpoint);
      last_error = "no answer in time";
      break;
    }
    last_error = "the stream ended";
    if (MonotonicNow() >= deadline) break;
  }
  return absl::UnavailableError(absl::StrCat("etcd lease keep-alive: ", last_error));
}

}  // namespace pgha::backends::etcd
