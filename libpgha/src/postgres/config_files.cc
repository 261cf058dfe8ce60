#include "config_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "pg_connection.h"
#include "pgha/config/dynamic_config.h"
#include "pgha/postgres/parameter_check.h"

namespace pgha::pg {
namespace {

namespace fs = std::filesystem;

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string GucText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "on" : "off";
  if (value.is_null()) return "";
  return value.dump();
}

// What PostgreSQL accepts as a parameter name: letters, digits, '_', and '.' for extensions'.
bool IsGucName(const std::string& name) {
  if (name.empty() || name.size() > 63 || absl::ascii_isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
  }
  return true;
}

std::string PgpassField(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ':' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, const std::string& content, int mode) {
  // A fresh name each time, created exclusively (mkostemp: O_EXCL, so never through a file or
  // link someone put there first), in the target's directory so that the rename is atomic.
  std::string pattern = absl::StrCat(path, ".pgha-XXXXXX");
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  std::string tmp(name.data());
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return absl::FailedPreconditionError(
        absl::StrCat("cannot set the mode of ", path, ": ", std::strerror(err)));
  }
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return absl::FailedPreconditionError(absl::StrCat("cannot write ", path, ": ", std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return absl::FailedPreconditionError(absl::StrCat("cannot write ", path, ": ", std::strerror(err)));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return absl::FailedPreconditionError(absl::StrCat("cannot replace ", path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

std::string QuoteGucValue(const Json& value) {
  std::string text = GucText(value);
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "''";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";  // a raw line break would end the value and start a line of its own
    } else if (c == '\r') {
      out += "\\r";
    } else if (c != '\0') {
      out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

std::string PrimaryConnInfo(const StandbySettings& s) {
  ConnParams p = {{"host", s.upstream.host},
                  {"port", std::to_string(s.upstream.port)},
                  {"user", s.user},
                  {"application_name", s.application_name},
                  {"passfile", s.passfile},
                  {"sslmode", "prefer"},
                  {"gssencmode", "prefer"},
                  {"channel_binding", "prefer"}};
  for (const auto& [k, v] : s.ssl_options) p[k] = v;
  return BuildConnInfo(p);
}

namespace {

// A size in MB from a GUC value: 128, "128", "128MB", "1GB", "512kB" (no unit: `unit_mb` MB).
std::optional<int64_t> SizeInMb(const Json& value, int64_t unit_mb) {
  std::string text = value.is_string() ? value.get<std::string>() : value.is_number_integer() ? value.dump() : "";
  text = std::string(absl::StripAsciiWhitespace(text));
  size_t digits = 0;
  while (digits < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  int64_t number = 0;
  if (digits == 0 || digits > 12 || !absl::SimpleAtoi(text.substr(0, digits), &number)) return std::nullopt;
  std::string unit = std::string(absl::StripAsciiWhitespace(text.substr(digits)));
  if (unit.empty()) return number * unit_mb;
  if (unit == "kB") return number / 1024;
  if (unit == "MB") return number;
  if (unit == "GB") return number * 1024;
  if (unit == "TB") return number * 1024 * 1024;
  return std::nullopt;
}

}  // namespace

namespace {

// wal_keep_segments (PostgreSQL 12) and wal_keep_size (13+) converted into each other.
Json ConvertWalKeep(const Json& parameters, int server_major, std::vector<std::string>* notes) {
  Json out = parameters.is_object() ? parameters : Json::object();
  if (server_major <= 0) return out;
  if (server_major >= 13 && out.contains("wal_keep_segments")) {
    Json segments = out["wal_keep_segments"];
    out.erase("wal_keep_segments");
    if (!out.contains("wal_keep_size")) {
      if (auto mb = SizeInMb(segments, 16)) {
        out["wal_keep_size"] = absl::StrCat(*mb, "MB");
        notes->push_back(absl::StrCat("wal_keep_segments=", segments.dump(), " written as wal_keep_size=",
                                      *mb, "MB (PostgreSQL ", server_major, " has no wal_keep_segments)"));
        return out;
      }
    }
    notes->push_back(absl::StrCat("wal_keep_segments dropped (PostgreSQL ", server_major,
                                  " has no wal_keep_segments)"));
  } else if (server_major < 13 && out.contains("wal_keep_size")) {
    Json size = out["wal_keep_size"];
    out.erase("wal_keep_size");
    if (!out.contains("wal_keep_segments")) {
      if (auto mb = SizeInMb(size, 1)) {
        out["wal_keep_segments"] = (*mb + 8) / 16;
        notes->push_back(absl::StrCat("wal_keep_size=", size.dump(), " written as wal_keep_segments=",
                                      (*mb + 8) / 16, " (PostgreSQL ", server_major, " has no wal_keep_size)"));
        return out;
      }
    }
    notes->push_back(absl::StrCat("wal_keep_size dropped (PostgreSQL ", server_major,
                                  " has no wal_keep_size)"));
  }
  return out;
}

}  // namespace

Json ParametersForServer(const Json& parameters, int server_major, std::vector<std::string>* notes,
                         const std::set<std::string>& available) {
  Json converted = ConvertWalKeep(parameters, server_major, notes);
  Json out = Json::object();
  for (const auto& [name, value] : converted.items()) {
    if (auto why = ParameterRejection(name, value, server_major, available)) {
      notes->push_back(absl::StrCat(name, "=", value.dump(), " dropped: ", *why));
      continue;
    }
    out[name] = value;
  }
  return out;
}

namespace {

// A recovery_conf section (Patroni's recovery.conf keys) into postgresql.conf lines. The
// section comes from configuration another client may have written (the DCS): a name that is
// not a PostgreSQL name would write lines of its own. standby_mode (recovery.conf only) and
// primary_conninfo (pgha writes its own) are left out.
void AddRecoverySettings(const Json& settings, std::map<std::string, std::string>* recovery) {
  for (auto it = settings.begin(); it != settings.end(); ++it) {
    if (!IsGucName(it.key()) || it.key() == "standby_mode" || it.key() == "primary_conninfo" ||
        it.value().is_null()) {
      continue;
    }
    (*recovery)[it.key()] = QuoteGucValue(it.value());
  }
}

}  // namespace

std::string RenderPostgresqlConf(const ConfFileInputs& in) {
  std::string out =
      "# Do not edit this file manually!\n"
      "# It will be overwritten by pgha (Patroni-compatible HA)!\n";
  if (!in.custom_conf.empty()) {
    absl::StrAppend(&out, "include ", QuoteGucValue(Json(in.custom_conf)), "\n");
  } else {
    absl::StrAppend(&out, "include 'postgresql.base.conf'\n");
  }
  absl::StrAppend(&out, "\n");
  std::map<std::string, std::string> lines;
  lines["cluster_name"] = QuoteGucValue(Json(in.scope));
  lines["listen_addresses"] = QuoteGucValue(Json(in.listen_addresses));
  lines["port"] = QuoteGucValue(Json(in.port));
  if (in.config_dir != in.data_dir) {
    lines["data_directory"] = QuoteGucValue(Json(in.data_dir));
    lines["hba_file"] = QuoteGucValue(Json(in.config_dir + "/pg_hba.conf"));
    lines["ident_file"] = QuoteGucValue(Json(in.config_dir + "/pg_ident.conf"));
  }
  for (auto it = in.parameters.begin(); it != in.parameters.end(); ++it) {
    std::string name = absl::AsciiStrToLower(it.key());
    if (name == "listen_addresses" || name == "port" || name == "cluster_name") continue;
    if (!IsGucName(name)) continue;  // a line break or '=' in a name would write lines of its own
    if (it.value().is_null()) continue;
    lines[name] = QuoteGucValue(it.value());
  }
  for (const auto& [name, value] : lines) absl::StrAppend(&out, name, " = ", value, "\n");
  if (in.standby) {
    absl::StrAppend(&out, "\n# standby settings (PostgreSQL 12+)\n");
    std::map<std::string, std::string> recovery;
    // Without an upstream (no leader yet, nostream) there is no conninfo: an empty host would
    // make the walreceiver connect to the local socket.
    if (!in.standby->upstream.host.empty()) {
      recovery["primary_conninfo"] = QuoteGucValue(Json(PrimaryConnInfo(*in.standby)));
    }
    if (!in.standby->slot_name.empty()) {
      recovery["primary_slot_name"] = QuoteGucValue(Json(in.standby->slot_name));
    }
    recovery["recovery_target_timeline"] = "'latest'";
    AddRecoverySettings(in.recovery_conf, &recovery);
    for (const auto& [name, value] : recovery) absl::StrAppend(&out, name, " = ", value, "\n");
  } else if (!in.archive_recovery.empty()) {
    absl::StrAppend(&out, "\n# recovery settings of the bootstrap method\n");
    std::map<std::string, std::string> recovery;
    AddRecoverySettings(in.archive_recovery, &recovery);
    for (const auto& [name, value] : recovery) absl::StrAppend(&out, name, " = ", value, "\n");
  }
  return out;
}

absl::StatusOr<bool> WritePostgresqlConf(const ConfFileInputs& in) {
  std::string path = in.config_dir + "/postgresql.conf";
  std::string text = RenderPostgresqlConf(in);
  if (ReadWholeFile(path) == text) return false;
  absl::Status s = WriteFileAtomically(path, text, 0600);
  if (!s.ok()) return s;
  return true;
}

absl::Status KeepBaseConf(const std::string& config_dir) {
  std::error_code ec;
  fs::path base = fs::path(config_dir) / "postgresql.base.conf";
  fs::path conf = fs::path(config_dir) / "postgresql.conf";
  if (fs::exists(base, ec)) return absl::OkStatus();
  if (!fs::exists(conf, ec)) return WriteFileAtomically(base.string(), "", 0600);
  fs::rename(conf, base, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot rename ", conf.string(), " to ", base.string(), ": ", ec.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> WriteLinesFile(const std::string& path, const std::vector<std::string>& lines) {
  std::string text = "# Do not edit this file manually!\n# It will be overwritten by pgha!\n";
  for (const auto& l : lines) absl::StrAppend(&text, l, "\n");
  if (ReadWholeFile(path) == text) return false;
  absl::Status s = WriteFileAtomically(path, text, 0600);
  if (!s.ok()) return s;
  return true;
}

absl::Status AppendLines(const std::string& path, const std::vector<std::string>& lines) {
  std::string text = ReadWholeFile(path);
  if (!text.empty() && text.back() != '\n') text.push_back('\n');
  for (const auto& l : lines) absl::StrAppend(&text, l, "\n");
  return WriteFileAtomically(path, text, 0600);
}

absl::Status SetStandbySignal(const std::string& data_dir, bool standby, bool archive_recovery) {
  std::string path = data_dir + "/standby.signal";
  std::error_code ec;
  if (standby) {
    if (fs::exists(path, ec)) return absl::OkStatus();
    return WriteFileAtomically(path, "", 0600);
  }
  fs::remove(path, ec);
  if (archive_recovery) {
    if (fs::exists(data_dir + "/recovery.signal", ec)) return absl::OkStatus();
    return WriteFileAtomically(data_dir + "/recovery.signal", "", 0600);
  }
  fs::remove(data_dir + "/recovery.signal", ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot remove ", path, ": ", ec.message()));
  return absl::OkStatus();
}

absl::Status WritePgpass(const std::string& path, const std::vector<config::UserAuth>& users) {
  std::string text;
  for (const auto& u : users) {
    if (u.username.empty()) continue;
    absl::StrAppend(&text, "*:*:*:", PgpassField(u.username), ":", PgpassField(u.password), "\n");
  }
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  return WriteFileAtomically(path, text, 0600);
}

std::vector<std::string> CommandLineGucs(const ConfFileInputs& in) {
  std::vector<std::string> out = {
      absl::StrCat("listen_addresses=", in.listen_addresses),
      absl::StrCat("port=", in.port),
      absl::StrCat("cluster_name=", in.scope),
  };
  if (in.config_dir != in.data_dir) {
    out.push_back(absl::StrCat("config_file=", in.config_dir, "/postgresql.conf"));
  }
  for (auto it = in.parameters.begin(); it != in.parameters.end(); ++it) {
    std::string name = absl::AsciiStrToLower(it.key());
    if (name == "listen_addresses" || name == "port" || name == "cluster_name") continue;
    if (config::IsClusterWideParameter(name) && !it.value().is_null()) {
      out.push_back(absl::StrCat(name, "=", GucText(it.value())));
    }
  }
  return out;
}

}  // namespace pgha::pg
