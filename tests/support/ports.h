// Free TCP ports on 127.0.0.1, found at run time.
#ifndef PGHA_TESTS_SUPPORT_PORTS_H_
#define PGHA_TESTS_SUPPORT_PORTS_H_

namespace pgha::testing {

// A port nothing listens on right now (the kernel's choice for a bind to port 0). Ports handed
// out by this process are not handed out again.
int FreePort();

// True when something accepts connections on 127.0.0.1:port.
bool PortOpen(int port);

}  // namespace pgha::testing

#endif  // PGHA_TESTS_SUPPORT_PORTS_H_
