#include "pgha/ha/watchdog.h"

#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "pgha/base/log.h"

namespace pgha::ha {
namespace {

class DeviceWatchdog final : public Watchdog {
 public:
  explicit DeviceWatchdog(std::string device) : device_(std::move(device)) {}
  ~DeviceWatchdog() override { Disable(); }

  bool Usable() const override { return fd_ >= 0 || ::access(device_.c_str(), W_OK) == 0; }

  absl::Status Activate(absl::Duration timeout) override {
    if (fd_ < 0) {
      fd_ = ::open(device_.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd_ < 0) {
        return absl::UnavailableError(absl::StrCat("cannot open watchdog ", device_, ": ", std::strerror(errno)));
      }
      PGHA_LOG(INFO) << "watchdog " << device_ << " activated";
    }
    int seconds = static_cast<int>(absl::ToInt64Seconds(timeout));
    if (seconds > 0 && seconds != timeout_seconds_) {
      // Not every driver supports a timeout change; the device's own timeout then applies.
      if (::ioctl(fd_, WDIOC_SETTIMEOUT, &seconds) == 0) timeout_seconds_ = seconds;
    }
    return Keepalive();
  }

  absl::Status Keepalive() override {
    if (fd_ < 0) return absl::FailedPreconditionError("watchdog is not active");
    int dummy = 0;
    if (::ioctl(fd_, WDIOC_KEEPALIVE, &dummy) != 0 && ::write(fd_, "1", 1) != 1) {
      return absl::UnavailableError(absl::StrCat("watchdog keepalive failed: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  void Disable() override {
    if (fd_ < 0) return;
    // The magic close: tells the driver this is an orderly stop, not a hang.
    (void)!::write(fd_, "V", 1);
    ::close(fd_);
    fd_ = -1;
    timeout_seconds_ = 0;
    PGHA_LOG(INFO) << "watchdog " << device_ << " disabled";
  }

  bool Active() const override { return fd_ >= 0; }

 private:
  std::string device_;
  int fd_ = -1;
  int timeout_seconds_ = 0;
};

class NullWatchdog final : public Watchdog {
 public:
  bool Usable() const override { return false; }
  absl::Status Activate(absl::Duration) override { return absl::FailedPreconditionError("watchdog is off"); }
  absl::Status Keepalive() override { return absl::OkStatus(); }
  void Disable() override {}
  bool Active() const override { return false; }
};

}  // namespace

std::unique_ptr<Watchdog> MakeDeviceWatchdog(const std::string& device) {
  return std::make_unique<DeviceWatchdog>(device);
}
std::unique_ptr<Watchdog> MakeNullWatchdog() { return std::make_unique<NullWatchdog>(); }

}  // namespace pgha::ha
