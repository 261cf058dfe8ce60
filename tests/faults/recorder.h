// What a fault trial measures, from the outside: a client that writes every 100 ms to whichever
// node accepts it and remembers every acknowledged row, and a probe that tries a write on every
// node every 100 ms. From their records: whether two nodes ever acknowledged at the same time,
// how long no node did, and which acknowledged rows the final primary lacks.
#ifndef PGHA_TESTS_FAULTS_RECORDER_H_
#define PGHA_TESTS_FAULTS_RECORDER_H_

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"

namespace pgha::testing {

struct WriteTarget {
  std::string name;
  int port = 0;
  std::string passfile;
};

struct Attempt {
  int node = 0;
  int64_t id = 0;
  absl::Time sent;
  absl::Time done;
  bool acked = false;
};

struct TrialFigures {
  absl::Duration two_writable;     // total time two nodes' acknowledgement runs overlapped
  absl::Duration none_writable;    // longest time no node acknowledged a probe
  int64_t acked = 0;               // rows acknowledged (client and probe)
  int64_t lost = 0;                // acknowledged rows missing on the final primary
  std::vector<std::string> overlaps;  // readable descriptions of each overlap
};

class Recorder {
 public:
  explicit Recorder(std::vector<WriteTarget> nodes);
  ~Recorder();  // stops

  void Start();
  void Stop();
  // Checks the records against the rows present on `final_primary` (an index into nodes);
  // `from` (MonotonicNow) starts the no-writable measurement.
  TrialFigures Analyse(int final_primary, absl::Time from) const;

  // Creates the tables on `primary`.
  static bool CreateTables(const WriteTarget& primary);

 private:
  void ClientLoop();
  void ProbeLoop(int node);
  void Record(const Attempt& a, bool probe);

  std::vector<WriteTarget> nodes_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> next_id_;
  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  std::vector<Attempt> client_;  // guarded by mu_
  std::vector<Attempt> probe_;   // guarded by mu_
};

}  // namespace pgha::testing

#endif  // PGHA_TESTS_FAULTS_RECORDER_H_
