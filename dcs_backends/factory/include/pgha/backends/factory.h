// Picks the DCS backend a configuration names: a plain switch, so the daemon, pghactl and
// embedders share it and nothing above the SPI knows which store is used.
#ifndef PGHA_BACKENDS_FACTORY_H_
#define PGHA_BACKENDS_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pgha/config/config.h"
#include "pgha/dcs/backend.h"

namespace pgha::backends {

absl::StatusOr<std::unique_ptr<dcs::DcsBackend>> MakeBackend(const config::Config& config,
                                                             absl::Duration ttl,
                                                             absl::Duration retry_timeout);

}  // namespace pgha::backends

#endif  // PGHA_BACKENDS_FACTORY_H_
