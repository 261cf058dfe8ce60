// Where Patroni keeps a cluster's keys: /<namespace>/<scope>/{initialize,config,leader,
// members/<name>,failover,sync,status,history,failsafe}. Thread-safety: immutable value.
#ifndef PGHA_DCS_KEY_LAYOUT_H_
#define PGHA_DCS_KEY_LAYOUT_H_

#include <string>

namespace pgha::dcs {

class KeyLayout {
 public:
  // `namespace_` as in the configuration ("/service", "/service/", "db"); Patroni collapses
  // repeated slashes and adds the leading one.
  KeyLayout(const std::string& namespace_, const std::string& scope);

  const std::string& scope() const { return scope_; }
  // "/service/demo/" (with the trailing slash: a prefix that matches only this cluster).
  const std::string& prefix() const { return prefix_; }

  std::string Initialize() const { return prefix_ + "initialize"; }
  std::string Config() const { return prefix_ + "config"; }
  std::string Leader() const { return prefix_ + "leader"; }
  std::string Members() const { return prefix_ + "members/"; }
  std::string Member(const std::string& name) const { return Members() + name; }
  std::string Failover() const { return prefix_ + "failover"; }
  std::string Sync() const { return prefix_ + "sync"; }
  std::string Status() const { return prefix_ + "status"; }
  std::string History() const { return prefix_ + "history"; }
  std::string Failsafe() const { return prefix_ + "failsafe"; }
  // The legacy optime key Patroni < 2.1 reads.
  std::string LegacyOptime() const { return prefix_ + "optime/leader"; }

 private:
  std::string scope_;
  std::string prefix_;
};

}  // namespace pgha::dcs

#endif  // PGHA_DCS_KEY_LAYOUT_H_
