#include "zk_tree.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace pgha::backends::zk {
namespace {

std::string ChildPath(const std::string& parent, const std::string& child) {
  return parent == "/" ? absl::StrCat("/", child) : absl::StrCat(parent, "/", child);
}

struct Node {
  std::string path;
  Reply reply;
};

// Reads the root with a data watch; when absent, leaves a creation watch instead (and reads
// again if it appeared in between, since no watch would then fire for that).
absl::StatusOr<std::vector<Node>> ReadRoot(Session& session, const std::string& root,
                                           absl::Time deadline) {
  while (true) {
    Reply reply = Session::Wait(session.Get(root, true), deadline);
    if (reply.rc == ZOK) return std::vector<Node>{{root, std::move(reply)}};
    if (reply.rc != ZNONODE) return ZkStatus(reply.rc, absl::StrCat("ZooKeeper get ", root));
    Reply exists = Session::Wait(session.Exists(root, true), deadline);
    if (exists.rc == ZNONODE) return std::vector<Node>{};
    if (exists.rc != ZOK) return ZkStatus(exists.rc, absl::StrCat("ZooKeeper exists ", root));
  }
}

}  // namespace

std::string RootOf(const std::string& prefix) {
  std::string root = prefix;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root.empty() ? "/" : root;
}

absl::StatusOr<std::vector<dcs::RawEntry>> ReadTree(Session& session, const std::string& prefix,
                                                    absl::Time deadline) {
  std::vector<dcs::RawEntry> entries;
  auto level = ReadRoot(session, RootOf(prefix), deadline);
  if (!level.ok()) return level.status();
  while (!level->empty()) {
    std::vector<std::pair<std::string, RequestPtr>> listings;
    for (Node& node : *level) {
      const Stat& stat = node.reply.stat;
      bool only_children = stat.numChildren > 0 && stat.dataLength == 0;
      if (!only_children && absl::StartsWith(node.path, prefix)) {
        entries.push_back(dcs::RawEntry{node.path, std::move(node.reply.value), stat.mzxid,
                                        SessionHex(stat.ephemeralOwner)});
      }
      // A znode with empty data may be a parent ("members") that has no children right now.
      if (stat.numChildren > 0 || stat.dataLength == 0) {
        listings.emplace_back(node.path, session.GetChildren(node.path, true));
      }
    }
    std::vector<std::pair<std::string, RequestPtr>> reads;
    for (auto& [path, request] : listings) {
      Reply reply = Session::Wait(request, deadline);
      if (reply.rc == ZNONODE) continue;  // deleted since: its parent's watch fires
      if (reply.rc != ZOK) return ZkStatus(reply.rc, absl::StrCat("ZooKeeper list ", path));
      for (const std::string& child : reply.children) {
        std::string child_path = ChildPath(path, child);
        RequestPtr get = session.Get(child_path, true);
        reads.emplace_back(std::move(child_path), std::move(get));
      }
    }
    level->clear();
    for (auto& [path, request] : reads) {
      Reply reply = Session::Wait(request, deadline);
      if (reply.rc == ZNONODE) continue;
      if (reply.rc != ZOK) return ZkStatus(reply.rc, absl::StrCat("ZooKeeper get ", path));
      level->push_back(Node{path, std::move(reply)});
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const dcs::RawEntry& a, const dcs::RawEntry& b) { return a.key < b.key; });
  return entries;
}

Reply CreateWithParents(Session& session, const std::string& path, const std::string& value,
                        bool ephemeral, const ACL_vector* acl, absl::Time deadline) {
  Reply reply = Session::Wait(session.Create(path, value, ephemeral, acl), deadline);
  if (reply.rc != ZNONODE) return reply;
  // Parents first, then the znode itself: one round trip.
  std::vector<RequestPtr> parents;
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    parents.push_back(session.Create(path.substr(0, slash), "", false, acl));
  }
  RequestPtr create = session.Create(path, value, ephemeral, acl);
  int failed = ZOK;
  for (const RequestPtr& parent : parents) {
    int parent_rc = Session::Wait(parent, deadline).rc;
    if (failed == ZOK && parent_rc != ZOK && parent_rc != ZNODEEXISTS) failed = parent_rc;
  }
  reply = Session::Wait(create, deadline);
  if (reply.rc == ZNONODE && failed != ZOK) reply.rc = failed;
  return reply;
}

absl::Status DeleteTree(Session& session, const std::string& prefix, absl::Time deadline) {
  const std::string root = RootOf(prefix);
  if (root == "/") return absl::InvalidArgumentError("refusing to delete every ZooKeeper znode");
  for (int round = 0; round < 3; ++round) {
    // Parents before children...
    std::vector<std::string> all;
    std::vector<std::string> level = {root};
    while (!level.empty()) {
      std::vector<RequestPtr> listings;
      for (const std::string& path : level) listings.push_back(session.GetChildren(path, false));
      std::vector<std::string> next;
      for (size_t i = 0; i < level.size(); ++i) {
        Reply reply = Session::Wait(listings[i], deadline);
        if (reply.rc == ZNONODE) continue;
        if (reply.rc != ZOK) return ZkStatus(reply.rc, absl::StrCat("ZooKeeper list ", level[i]));
        all.push_back(level[i]);
        for (const std::string& child : reply.children) next.push_back(ChildPath(level[i], child));
      }
      level = std::move(next);
    }
    // ...so deleting in reverse removes children first.
    std::vector<std::pair<std::string, RequestPtr>> deletes;
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      deletes.emplace_back(*it, session.Delete(*it, -1));
    }
    bool grew = false;
    for (auto& [path, request] : deletes) {
      int rc = Session::Wait(request, deadline).rc;
      if (rc == ZOK || rc == ZNONODE) continue;
      if (rc == ZNOTEMPTY) {
        grew = true;  // a znode was created under it meanwhile: list again
        continue;
      }
      return ZkStatus(rc, absl::StrCat("ZooKeeper delete ", path));
    }
    if (!grew) return absl::OkStatus();
  }
  return absl::AbortedError(
      absl::StrCat("znodes kept appearing under ", root, " while it was deleted"));
}

}  // namespace pgha::backends::zk
