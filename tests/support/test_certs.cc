#include "test_certs.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pgha/base/process_runner.h"

namespace pgha::testing {

absl::StatusOr<std::unique_ptr<TestCerts>> TestCerts::Make() {
  std::unique_ptr<TestCerts> certs(new TestCerts());
  PosixProcessRunner runner;
  auto openssl = [&](std::vector<std::string> args) -> absl::Status {
    args.insert(args.begin(), "openssl");
    auto r = runner.Run({.argv = args, .cwd = certs->dir(), .timeout = absl::Seconds(60)});
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) {
      return absl::InternalError(absl::StrCat(absl::StrJoin(args, " "), ": ", r->output));
    }
    return absl::OkStatus();
  };
  certs->dir_.WriteFile("san.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  absl::Status s = openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                            "/CN=pgha-test-ca", "-keyout", "ca.key", "-out", "ca.crt"});
  for (const char* who : {"server", "client"}) {
    if (!s.ok()) break;
    s = openssl({"req", "-newkey", "rsa:2048", "-nodes", "-subj", absl::StrCat("/CN=", who),
                 "-keyout", absl::StrCat(who, ".key"), "-out", absl::StrCat(who, ".csr")});
    if (!s.ok()) break;
    s = openssl({"x509", "-req", "-in", absl::StrCat(who, ".csr"), "-CA", "ca.crt", "-CAkey",
                 "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out",
                 absl::StrCat(who, ".crt")});
    if (!s.ok()) break;
    s = openssl({"pkey", "-in", absl::StrCat(who, ".key"), "-aes256", "-passout",
                 absl::StrCat("pass:", kKeyPassword), "-out", absl::StrCat(who, "-encrypted.key")});
  }
  if (!s.ok()) return s;
  return certs;
}

}  // namespace pgha::testing
