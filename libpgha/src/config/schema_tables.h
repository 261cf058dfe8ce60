// libpgha's own configuration tables (schema_tables.cc). The DCS sections are not among them:
// backends register those (pgha/config/dcs_sections.h).
#ifndef PGHA_CONFIG_SCHEMA_TABLES_H_
#define PGHA_CONFIG_SCHEMA_TABLES_H_

#include "pgha/config/schema.h"

namespace pgha::config::internal {

// patroni.yml. Top-level keys that are registered DCS sections are checked against their
// registered spec at validation time, so a section registered after the first call counts.
SpecPtr LocalConfigSpec();
// The dynamic configuration (the DCS `config` key, bootstrap.dcs).
SpecPtr DynamicConfigSpec();

}  // namespace pgha::config::internal

#endif  // PGHA_CONFIG_SCHEMA_TABLES_H_
