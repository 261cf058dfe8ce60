// edit-config: change the dynamic configuration with -s/-p pairs, a YAML file (--apply merges,
// --replace replaces) or $EDITOR, show the diff, confirm, and write it back with a
// compare-and-set on the version that was read.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "ctl/commands.h"
#include "pgha/config/loader.h"
#include "ctl/config_edit.h"
#include "ctl/errors.h"
#include "ctl/py_format.h"
#include "ctl/unified_diff.h"
#include "pgha/base/process_runner.h"

namespace pgha::ctl {
namespace {

struct Options {
  std::string cluster;
  bool quiet = false;
  std::vector<std::string> kvpairs, pgkvpairs;
  std::string apply_filename, replace_filename;
  bool force = false;
};

absl::StatusOr<std::string> ReadSource(const std::string& filename) {
  if (filename == "-") return std::string(std::istreambuf_iterator<char>(std::cin), {});
  std::ifstream in(filename);
  if (!in) return CtlError(absl::StrCat("cannot read ", filename));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// apply_yaml_file: the file's mapping patched onto `data` (Patroni's patch_config).
absl::StatusOr<Json> ApplyYamlFile(const Json& data, const std::string& filename) {
  auto text = ReadSource(filename);
  if (!text.ok()) return text.status();
  auto patch = ParseYamlMapping(*text, filename == "-" ? "<stdin>" : filename);
  if (!patch.ok()) return CtlError(std::string(patch.status().message()));
  Json changed = data;
  PatchConfig(&changed, *patch);
  return changed;
}

// Runs the editor on a temporary copy. The editor needs the terminal, which ProcessRunner
// deliberately takes away from its children (new session, piped stdin), so it is started here
// with inherited standard streams; still an argv vector, never a shell string.
absl::StatusOr<std::string> InvokeEditor(const std::string& before,
                                         const std::string& cluster_name) {
  std::string editor;
  if (const char* e = std::getenv("EDITOR"); e != nullptr && *e != '\0') editor = e;
  std::vector<std::string> argv;
  if (!editor.empty()) {
    auto split = SplitCommandLine(editor);
    if (!split.ok() || split->empty())
      return CtlError("cannot read the EDITOR environment variable");
    argv = *split;
  } else {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/bin:/bin");
    std::string dir;
    for (const char* candidate : {"editor", "vi"}) {
      dirs.clear();
      dirs.seekg(0);
      while (argv.empty() && std::getline(dirs, dir, ':')) {
        std::string full = dir + "/" + candidate;
        if (::access(full.c_str(), X_OK) == 0) argv = {full};
      }
    }
    if (argv.empty())
      return CtlError("EDITOR environment variable is not set. editor or vi are not available");
  }
  std::string tmpl =
      (std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : std::string("/tmp")) + "/" +
      cluster_name + "-config-XXXXXX.yaml";
  std::vector<char> path(tmpl.begin(), tmpl.end());
  path.push_back('\0');
  int fd = ::mkstemps(path.data(), 5);
  if (fd < 0) return CtlError("cannot create a temporary file for the editor");
  std::string file(path.data());
  bool written = ::write(fd, before.data(), before.size()) == static_cast<ssize_t>(before.size());
  ::close(fd);
  if (!written) {
    ::unlink(file.c_str());
    return CtlError("cannot write the temporary file for the editor");
  }
  argv.push_back(file);
  std::cout << std::flush;
  pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) < 0) {
    ::unlink(file.c_str());
    return CtlError("cannot start the editor");
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream in(file);
  std::string after(std::istreambuf_iterator<char>(in), {});
  ::unlink(file.c_str());
  if (code != 0) return CtlError(absl::StrCat("Editor exited with return code ", code));
  return after;
}

absl::Status Run(Session& s, const Options& o) {
  auto c = LoadCluster(s, o.cluster);
  if (!c.ok()) return c.status();
  Json original = c->state->config ? c->state->config->data : Json::object();
  dcs::Version version = c->state->config ? c->state->config->version : dcs::kNoVersion;
  std::string before = CtlYaml(original);

  bool changes_given = false;
  Json changed = original;
  std::string after;
  if (!o.replace_filename.empty()) {
    auto r = ApplyYamlFile(Json::object(), o.replace_filename);
    if (!r.ok()) return r.status();
    changed = *r;
    changes_given = true;
  }
  if (!o.apply_filename.empty()) {
    auto r = ApplyYamlFile(changed, o.apply_filename);
    if (!r.ok()) return r.status();
    changed = *r;
    changes_given = true;
  }
  if (!o.kvpairs.empty() || !o.pgkvpairs.empty()) {
    std::vector<std::string> pairs = o.kvpairs;
    for (const auto& p : PgParameterPairs(o.pgkvpairs)) pairs.push_back(p);
    auto r = ApplyConfigChanges(changed, pairs);
    if (!r.ok()) return CtlError(std::string(r.status().message()));
    changed = *r;
    changes_given = true;
  }
  if (changes_given) {
    after = CtlYaml(changed);
  } else {
    auto edited = InvokeEditor(before, c->name);
    if (!edited.ok()) return edited.status();
    after = *edited;  // patronictl diffs the text as the user left it
    auto parsed = ParseYamlMapping(after, "edited configuration");
    if (!parsed.ok()) return CtlError(std::string(parsed.status().message()));
    changed = *parsed;
  }

  if (PyEquals(original, changed)) {
    if (!o.quiet) s.out() << "Not changed\n";
    return absl::OkStatus();
  }
  if (!o.quiet) s.out() << ConfigDiff(before, after);
  // The rules a configuration file is held to (every daemon refuses an invalid one anyway).
  config::Diagnostics problems = config::ValidateDynamicConfig(changed);
  if (const config::Diagnostic* invalid = problems.FirstError()) {
    return CtlError(absl::StrCat("Invalid configuration: ", invalid->key_path, ": ", invalid->message));
  }
  if ((o.apply_filename == "-" || o.replace_filename == "-") && !o.force) {
    s.out() << "Use --force option to apply changes\n";  // stdin held the changes, not answers
    return absl::OkStatus();
  }
  if (!o.force) {
    auto yes = s.prompter().Confirm("Apply these changes?");
    if (!yes.ok()) return yes.status();
    if (!*yes) return absl::OkStatus();
  }
  absl::Status written = c->dcs->WriteConfig(changed, version);
  if (absl::IsAborted(written))
    return CtlError("Config modification aborted due to concurrent changes");
  if (!written.ok())
    return CtlError(absl::StrCat("could not write the configuration: ", written.message()));
  s.out() << "Configuration changed\n";
  return absl::OkStatus();
}

}  // namespace

void AddConfigCommands(CLI::App& app, CommandTable& table) {
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("edit-config", "Edit cluster configuration");
  cmd->add_option("cluster_name", o->cluster, "Cluster (default: the configured scope)");
  cmd->add_flag("-q,--quiet", o->quiet, "Do not show changes");
  cmd->add_option("-s,--set", o->kvpairs,
                  "Set specific configuration value. Can be specified multiple times")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option(
         "-p,--pg", o->pgkvpairs,
         "Set specific PostgreSQL parameter value. Shorthand for -s postgresql.parameters. "
         "Can be specified multiple times")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--apply", o->apply_filename, "Apply configuration from file. Use - for stdin.");
  cmd->add_option(
      "--replace", o->replace_filename,
      "Apply configuration from file, replacing existing configuration. Use - for stdin.");
  cmd->add_flag("--force", o->force, "Do not ask for confirmation at any point");
  table.Add(cmd, [o](Session& s) { return Run(s, *o); });
}

}  // namespace pgha::ctl
