#include <thread>

#include <catch2/catch.hpp>

#include "pgha/ha/node_status.h"

namespace pgha::ha {
namespace {

TEST_CASE("the status board hands commands to the loop and answers the waiting client") {
  StatusBoard board;
  int ticket = board.Submit(Command{});
  auto taken = board.TakeCommand();
  REQUIRE(taken);
  CHECK(taken->first == ticket);
  CHECK_FALSE(board.TakeCommand());
  board.Complete(ticket, {true, true, 202, "scheduled", nullptr});
  CommandResult r = board.Await(ticket, absl::Hours(1));
  CHECK(r.done);
  CHECK(r.http_status == 202);
}

TEST_CASE("Close releases a client waiting for a loop that has ended, and later ones") {
  StatusBoard board;
  int ticket = board.Submit(Command{});
  CommandResult waited;
  // Without Close this waits an hour (ctest's timeout fails the test long before).
  std::thread client([&] { waited = board.Await(ticket, absl::Hours(1)); });
  board.Close();
  client.join();
  CHECK_FALSE(waited.done);
  CHECK_FALSE(board.Await(board.Submit(Command{}), absl::Hours(1)).done);
}

}  // namespace
}  // namespace pgha::ha
