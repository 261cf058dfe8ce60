// Handlers of the REST API's actions (switchover, failover, restart, reload, reinitialize,
// config changes) and the response helpers. Validation follows Patroni's api.py; the work is
// handed to the HA loop through the StatusBoard.
#ifndef PGHA_API_ACTIONS_H_
#define PGHA_API_ACTIONS_H_

#include <string>

#include <httplib.h>

#include "pgha/api/rest_server.h"
#include "pgha/base/json.h"

namespace pgha::api::internal {

struct Reply {
  int code = 200;
  std::string body;
  std::string content_type = "text/html";
};

struct ActionContext {
  const RestServerOptions* o;
  Clock* clock;
};

void Text(httplib::Response& res, int code, const std::string& body);
void Json(httplib::Response& res, int code, const ::pgha::Json& body, bool status_only);
void JsonError(httplib::Response& res, int code, const std::string& reason);
void Send(httplib::Response& res, const Reply& reply);

Reply PostSwitchover(const ActionContext& ctx, const httplib::Request& req);
Reply PostFailover(const ActionContext& ctx, const httplib::Request& req);
Reply DeleteSwitchover(const ActionContext& ctx, const httplib::Request& req);
Reply PostRestart(const ActionContext& ctx, const httplib::Request& req);
Reply DeleteRestart(const ActionContext& ctx, const httplib::Request& req);
Reply PostReload(const ActionContext& ctx, const httplib::Request& req);
Reply PostReinitialize(const ActionContext& ctx, const httplib::Request& req);
Reply PatchConfig(const ActionContext& ctx, const httplib::Request& req);
Reply PutConfig(const ActionContext& ctx, const httplib::Request& req);
Reply NotSupported(const ActionContext& ctx, const httplib::Request& req);
// A primary that lost the DCS asks whether we still follow it (failsafe mode).
Reply PostFailsafe(const ActionContext& ctx, const httplib::Request& req);

}  // namespace pgha::api::internal

#endif  // PGHA_API_ACTIONS_H_
