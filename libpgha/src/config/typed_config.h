#ifndef PGHA_CONFIG_TYPED_CONFIG_H_
#define PGHA_CONFIG_TYPED_CONFIG_H_

#include "pgha/config/config.h"

namespace pgha::config::internal {
// Reads a validated local document into the typed model with Patroni's defaults.
Config BuildTypedConfig(const Json& document);
}  // namespace pgha::config::internal

#endif  // PGHA_CONFIG_TYPED_CONFIG_H_
