// The configuration loader on any text: a patroni.yml (with PATRONI_* variables applied), and
// the same text as a dynamic configuration (what PATCH/PUT /config, pghactl edit-config and the
// DCS `config` key carry). Whatever the text, loading ends with a Config or with errors that
// each say where and what; never a crash, never unbounded time or memory (libFuzzer's -rss_limit_mb
// and -timeout in run.sh turn those into findings).
//
// The DCS sections are the backends' (their configuration libraries only: no gRPC, HTTP or
// ZooKeeper client in this build), registered once as the daemon registers them.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_input.h"
#include "pgha/backends/consul.h"
#include "pgha/backends/etcd3.h"
#include "pgha/backends/zookeeper.h"
#include "pgha/base/json.h"
#include "pgha/config/loader.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pgha::backends::RegisterEtcd3ConfigSections();
  pgha::backends::RegisterConsulConfigSections();
  pgha::backends::RegisterZooKeeperConfigSections();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pgha;
  std::string text(reinterpret_cast<const char*>(data), size);
  config::LoadResult local = config::LoadLocalConfigFromText(text, "fuzz.yml", {});
  if (local.ok() == local.diagnostics.HasErrors()) {
    fuzz::Fail("a configuration is built exactly when there are no errors");
  }
  for (const config::Diagnostic& d : local.diagnostics.all()) {
    if (d.message.empty()) fuzz::Fail("a diagnostic without a message");
    (void)d.ToString();
  }
  (void)config::MaskSecrets(local.document.root);

  // The text as a JSON body or DCS value of the dynamic configuration.
  Json doc = ParseUntrustedJson(text);
  if (!doc.is_discarded()) {
    config::Diagnostics dynamic = config::ValidateDynamicConfig(doc);
    for (const config::Diagnostic& d : dynamic.all()) {
      if (d.message.empty()) fuzz::Fail("a dynamic-configuration diagnostic without a message");
    }
    (void)config::MaskSecrets(doc);
  }
  return 0;
}
