// The ZooKeeper C client's own log lines, routed through pgha's logger.
//
// The client logs every failed connection attempt: while ZooKeeper is down that is two lines
// per retry (every timeout/60, 100 ms at a 6 s timeout). Its warnings and errors reach the log
// at WARNING at most once per 30 s (with a count of the lines held back); the rest at DEBUG.
//
// Thread-safety: both functions may be called from any thread.
#ifndef PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_LOG_H_
#define PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_LOG_H_

namespace pgha::backends::zk {

// Sets the C client's (process-wide) level from pgha's: INFO when pgha logs DEBUG, else WARN.
void ConfigureClientLogging();

// The C client's log callback (log_callback_fn).
void ForwardClientLog(const char* message);

}  // namespace pgha::backends::zk

#endif  // PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_LOG_H_
