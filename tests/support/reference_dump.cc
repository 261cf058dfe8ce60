#include "reference_dump.h"

#include <sstream>
#include <stdexcept>

#include "temp_dir.h"

namespace pgha::testing {

std::vector<DumpState> LoadReferenceDcsDump() {
  std::string text = ReadFile(FixturePath("reference/patroni-3.0.2-dcs-layout.txt"));
  if (text.empty()) throw std::runtime_error("reference dump missing");
  std::vector<DumpState> states;
  std::istringstream in(text);
  std::string line;
  bool in_keys = false;
  std::string pending_key;
  while (std::getline(in, line)) {
    if (line.rfind("## State", 0) == 0) {
      states.push_back(DumpState{line.substr(3), {}});
      in_keys = false;
      continue;
    }
    if (states.empty()) continue;
    if (line.rfind("$ ETCDCTL_API=3 etcdctl --endpoints", 0) == 0 &&
        line.find("get --prefix /") != std::string::npos) {
      in_keys = true;
      pending_key.clear();
      continue;
    }
    if (!in_keys) continue;
    if (line.empty()) {
      in_keys = false;
      continue;
    }
    if (pending_key.empty()) {
      pending_key = line;
    } else {
      states.back().keys[pending_key] = line;
      pending_key.clear();
    }
  }
  return states;
}

}  // namespace pgha::testing
