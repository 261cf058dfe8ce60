// A throw-away CA with a server and a client certificate (for 127.0.0.1 and localhost), made
// with the openssl command line, for TLS tests.
#ifndef PGHA_TESTS_SUPPORT_TEST_CERTS_H_
#define PGHA_TESTS_SUPPORT_TEST_CERTS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "temp_dir.h"

namespace pgha::testing {

class TestCerts {
 public:
  // Writes ca.crt, server.{crt,key} and client.{crt,key} into a new temp dir, and the keys
  // encrypted with kKeyPassword as server-encrypted.key and client-encrypted.key.
  static constexpr char kKeyPassword[] = "key-secret";
  static absl::StatusOr<std::unique_ptr<TestCerts>> Make();

  const std::string& dir() const { return dir_.path(); }
  std::string ca() const { return dir_.Sub("ca.crt"); }
  std::string cert(const std::string& who) const { return dir_.Sub(who + ".crt"); }
  std::string key(const std::string& who) const { return dir_.Sub(who + ".key"); }
  std::string encrypted_key(const std::string& who) const { return dir_.Sub(who + "-encrypted.key"); }

 private:
  TestCerts() : dir_("pgha-certs") {}
  TempDir dir_;
};

}  // namespace pgha::testing

#endif  // PGHA_TESTS_SUPPORT_TEST_CERTS_H_
