// What pghactl prints from a DCS snapshot (list, topology, history, show-config) when the
// snapshot holds whatever another client wrote: every format renders without a crash, and the
// json format is JSON.
//
// Input: DCS records (fuzz_input.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "ctl/members_view.h"
#include "ctl/py_format.h"
#include "ctl/table.h"
#include "fuzz_input.h"
#include "pgha/base/json.h"
#include "pgha/dcs/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pgha;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  dcs::ClusterState cluster = dcs::DecodeCluster(fuzz::Layout(), fuzz::SnapshotFromRecords(input));
  for (const char* fmt : {"pretty", "tsv", "json", "yaml", "topology"}) {
    for (bool extended : {false, true}) {
      std::string out = ctl::RenderMembers(cluster, "anchor", extended, fmt);
      if (std::string_view(fmt) == "json" &&
          Json::parse(out, nullptr, /*allow_exceptions=*/false).is_discarded()) {
        fuzz::Fail(absl::StrCat("list -f json printed something that is not JSON: ", out));
      }
    }
    (void)ctl::PrintOutput(ctl::HistoryTable(cluster), fmt);
  }
  (void)ctl::ServiceInfo(cluster);
  if (cluster.config) {
    (void)ctl::CtlYaml(cluster.config->data);
    (void)ctl::CtlYaml(cluster.config->data, /*flow=*/true);
  }
  return 0;
}
