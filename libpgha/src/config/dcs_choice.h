// How the local configuration's DCS sections are checked and chosen, from what is registered
// (pgha/config/dcs_sections.h). Used by the schema tables, the typed reading, the environment
// overrides and pghactl's loader.
#ifndef PGHA_CONFIG_DCS_CHOICE_H_
#define PGHA_CONFIG_DCS_CHOICE_H_

#include <optional>
#include <string>
#include <vector>

#include "pgha/config/dcs_sections.h"
#include "pgha/config/schema.h"

namespace pgha::config::internal {

// The spec of the registered section `name`, or null when none is registered by that name.
SpecPtr RegisteredDcsSpec(const std::string& name);

// DCS sections Patroni knows and pgha has no backend for: exhibitor, kubernetes, raft.
const std::vector<std::string>& UnsupportedDcsNames();
// Their spec: always an error, naming the registered sections to use instead.
SpecPtr UnsupportedDcs(const std::string& name);

// On the whole local document: a DCS section must be present (or an unsupported one, which
// has its own error); when several are, the others are reported as ignored; the chosen one's
// warning is said.
void CheckDcsChoice(const Json& document, const KeyPath& path, Validator& v);

// The registered section present in `document` with the lowest priority.
std::optional<DcsSection> ChosenDcsSection(const Json& document);

}  // namespace pgha::config::internal

#endif  // PGHA_CONFIG_DCS_CHOICE_H_
