#include "figures.h"

#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace pgha::bench {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

ProcStat ReadProc(pid_t pid) {
  ProcStat s;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream in(line.substr(6));
      in >> s.rss_kb;
    } else if (line.rfind("RssAnon:", 0) == 0) {
      std::istringstream in(line.substr(8));
      in >> s.anon_kb;
    }
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = all.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14 || i == 15) s.cpu_ticks += std::stoll(field);  // utime, stime
  }
  return s;
}

double CpuSeconds(const ProcStat& before, const ProcStat& after) {
  return static_cast<double>(after.cpu_ticks - before.cpu_ticks) / sysconf(_SC_CLK_TCK);
}

double EtcdRequests::Total() const {
  double total = 0;
  for (const auto& [method, n] : by_method) total += n;
  return total;
}

EtcdRequests EtcdRequests::Minus(const EtcdRequests& earlier) const {
  EtcdRequests d;
  for (const auto& [method, n] : by_method) {
    auto it = earlier.by_method.find(method);
    double delta = n - (it == earlier.by_method.end() ? 0 : it->second);
    if (delta != 0) d.by_method[method] = delta;
  }
  return d;
}

std::string EtcdRequests::Describe(double divisor) const {
  std::string out;
  for (const auto& [method, n] : by_method) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", method, " ", absl::StrFormat("%.2f", n / divisor));
  }
  return out.empty() ? "none" : out;
}

namespace {

// The value of label `name` in a Prometheus sample line's label set.
std::string Label(absl::string_view labels, absl::string_view name) {
  for (absl::string_view part : absl::StrSplit(labels, ',')) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    if (kv.first == name) return std::string(absl::StripSuffix(absl::StripPrefix(kv.second, "\""), "\""));
  }
  return "";
}

}  // namespace

absl::StatusOr<EtcdRequests> ScrapeEtcdRequests(const std::string& host_port) {
  std::pair<std::string, std::string> hp = absl::StrSplit(host_port, absl::MaxSplits(':', 1));
  int port = 0;
  if (!absl::SimpleAtoi(hp.second, &port)) return absl::InvalidArgumentError("bad etcd address " + host_port);
  httplib::Client client(hp.first, port);
  auto r = client.Get("/metrics");
  if (!r || r->status != 200) return absl::UnavailableError("etcd /metrics did not answer");
  EtcdRequests out;
  for (absl::string_view line : absl::StrSplit(r->body, '\n')) {
    bool started = absl::ConsumePrefix(&line, "grpc_server_started_total{");
    bool received = !started && absl::ConsumePrefix(&line, "grpc_server_msg_received_total{");
    if (!started && !received) continue;
    size_t close = line.find('}');
    if (close == absl::string_view::npos) continue;
    absl::string_view labels = line.substr(0, close);
    double value = 0;
    if (!absl::SimpleAtod(absl::StripAsciiWhitespace(line.substr(close + 1)), &value) || value == 0) continue;
    std::string method = Label(labels, "grpc_method");
    bool stream = Label(labels, "grpc_type") != "unary";
    // A unary call is one message each way: count it once, when started.
    if (received && !stream) continue;
    std::string what = !stream ? method : absl::StrCat(method, started ? " stream" : " message");
    out.by_method[what] += value;
  }
  return out;
}

}  // namespace pgha::bench
