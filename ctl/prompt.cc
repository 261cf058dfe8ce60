#include "ctl/prompt.h"

#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "absl/strings/ascii.h"
#include "ctl/errors.h"

namespace pgha::ctl {

absl::StatusOr<std::string> Prompter::ReadLine(bool hide_input) {
  out_ << std::flush;
  termios saved{};
  bool restore = false;
  if (hide_input && in_is_terminal_ && ::tcgetattr(STDIN_FILENO, &saved) == 0) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    restore = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(in_, line));
  if (restore) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    out_ << "\n";  // the Enter the user typed was not echoed
  }
  if (!got) {
    if (hide_input) out_ << "\n";
    return Aborted();
  }
  return line;
}

absl::StatusOr<std::string> Prompter::Prompt(const std::string& text,
                                             const std::optional<std::string>& default_value,
                                             bool hide_input) {
  std::string prompt = text;
  if (default_value) prompt += " [" + *default_value + "]";
  prompt += ": ";
  while (true) {
    out_ << prompt;
    auto line = ReadLine(hide_input);
    if (!line.ok()) return line.status();
    if (!line->empty()) return *line;
    if (default_value) return *default_value;
  }
}

absl::StatusOr<bool> Prompter::Confirm(const std::string& text, bool default_value) {
  std::string prompt = text + (default_value ? " [Y/n]: " : " [y/N]: ");
  while (true) {
    out_ << prompt;
    auto line = ReadLine(false);
    if (!line.ok()) return line.status();
    std::string value(absl::StripAsciiWhitespace(absl::AsciiStrToLower(*line)));
    if (value == "y" || value == "yes") return true;
    if (value == "n" || value == "no") return false;
    if (value.empty()) return default_value;
    out_ << "Error: invalid input\n";
  }
}

}  // namespace pgha::ctl
