// Questions asked the way click asks them, so that pghactl reads the same answers patronictl
// does, from a terminal or from a pipe (tests feed answers on stdin):
//   Prompt("Primary", "pg1")            writes "Primary [pg1]: " and reads one line;
//   Confirm("Apply these changes?")     writes "Apply these changes? [y/N]: ".
// Nothing is echoed after the answer: with piped input the next prompt follows on the same line,
// as with click. End of input aborts (click's Abort: "Aborted!", exit 1).
//
// Thread-safety: one thread.
#ifndef PGHA_CTL_PROMPT_H_
#define PGHA_CTL_PROMPT_H_

#include <iosfwd>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace pgha::ctl {

class Prompter {
 public:
  Prompter(std::istream& in, std::ostream& out, bool in_is_terminal)
      : in_(in), out_(out), in_is_terminal_(in_is_terminal) {}

  // An empty answer takes the default; without a default the question is asked again.
  // `hide_input` turns terminal echo off (passwords).
  absl::StatusOr<std::string> Prompt(const std::string& text,
                                     const std::optional<std::string>& default_value = std::nullopt,
                                     bool hide_input = false);
  // y/yes or n/no (any case); empty takes the default; anything else: "Error: invalid input".
  absl::StatusOr<bool> Confirm(const std::string& text, bool default_value = false);

 private:
  absl::StatusOr<std::string> ReadLine(bool hide_input);

  std::istream& in_;
  std::ostream& out_;
  bool in_is_terminal_;
};

}  // namespace pgha::ctl

#endif  // PGHA_CTL_PROMPT_H_
