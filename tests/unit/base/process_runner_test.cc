#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>

#include "pgha/base/process_runner.h"
#include "temp_dir.h"

namespace pgha {
namespace {

TEST_CASE("Run captures output and the exit code from an argv, without a shell") {
  PosixProcessRunner runner;
  auto r = runner.Run({.argv = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}});
  REQUIRE(r.ok());
  CHECK(r->exit_code == 3);
  CHECK(r->output.find("out") != std::string::npos);
  CHECK(r->output.find("err") != std::string::npos);
  // An argument with shell metacharacters is passed through untouched.
  auto echo = runner.Run({.argv = {"/bin/echo", "$HOME; rm -rf /"}});
  REQUIRE(echo.ok());
  CHECK(echo->output == "$HOME; rm -rf /\n");
}

TEST_CASE("a missing program is kNotFound") {
  PosixProcessRunner runner;
  auto r = runner.Run({.argv = {"/nonexistent/program"}});
  CHECK(r.status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("environment: added, replaced and removed variables") {
  PosixProcessRunner runner;
  ::setenv("PGHA_TEST_SECRET", "leak", 1);
  auto r = runner.Run({.argv = {"/usr/bin/env"},
                       .env = {{"PGHA_TEST_ADDED", "yes"}},
                       .unset_env = {"PGHA_TEST_SECRET"}});
  REQUIRE(r.ok());
  CHECK(r->output.find("PGHA_TEST_ADDED=yes") != std::string::npos);
  CHECK(r->output.find("PGHA_TEST_SECRET") == std::string::npos);
}

TEST_CASE("a timeout kills the process group") {
  PosixProcessRunner runner;
  auto r = runner.Run({.argv = {"/bin/sh", "-c", "sleep 30 & sleep 30"},
                       .timeout = absl::Milliseconds(200)});
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  CHECK_FALSE(r->ok());
}

TEST_CASE("stdin data reaches the child and output can go to a file") {
  PosixProcessRunner runner;
  testing::TempDir dir;
  std::string out = dir.Sub("out.txt");
  auto r = runner.Run({.argv = {"/bin/cat"}, .output_path = out, .stdin_data = "hello\n"});
  REQUIRE(r.ok());
  CHECK(r->exit_code == 0);
  CHECK(testing::ReadFile(out) == "hello\n");
}

TEST_CASE("Start returns at once, Wait with a short deadline reports the process still running") {
  PosixProcessRunner runner;
  auto p = runner.Start({.argv = {"/bin/sh", "-c", "read x; echo got $x"}, .stdin_data = ""});
  REQUIRE(p.ok());
  ProcessResult result;
  auto done = (*p)->Wait(absl::Seconds(10));
  REQUIRE(done.ok());
  CHECK(done->output == "got\n");
  auto sleeper = runner.Start({.argv = {"/bin/sleep", "30"}});
  REQUIRE(sleeper.ok());
  CHECK((*sleeper)->Wait(absl::Milliseconds(50)).status().code() ==
        absl::StatusCode::kDeadlineExceeded);
  CHECK_FALSE((*sleeper)->Poll(&result));
  (*sleeper)->Signal(SIGKILL);
  auto killed = (*sleeper)->Wait(absl::Seconds(10));
  REQUIRE(killed.ok());
  CHECK(killed->term_signal == SIGKILL);
}

}  // namespace
}  // namespace pgha
