// Session: the state of one client connection that commands read and change (selected database,
// protocol version, authentication, name). The connection owns it; CLIENT LIST reads it from
// other threads, so the fields others read are atomics or guarded by `mu`.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "tally/commands/pubsub.h"
#include "tally/storage/keyspace.h"
#include "tally/storage/types.h"
#include "tally/util/thread_annotations.h"

namespace tally {

struct AclUser;

// A keyspace notification a command made, published once its writes are acknowledged.
struct KeyNotification {
  uint32_t type = 0;            // NotifyFlag (notify_flags.h)
  const char* event = nullptr;  // "set", "incrby", "expired", ...
  DbIndex db = 0;
  std::string key;
};

struct Session {
  // Immutable after creation.
  uint64_t id = 0;
  std::string addr;   // "ip:port" of the peer
  std::string laddr;  // "ip:port" of our end
  int fd = -1;
  int64_t created_ms = 0;

  // Read by other threads.
  std::atomic<int> db{0};
  std::atomic<int> resp{2};
  std::atomic<bool> authenticated{false};
  std::atomic<int64_t> last_interaction_ms{0};
  std::atomic<uint64_t> query_buffer_bytes{0};
  std::atomic<uint64_t> output_buffer_bytes{0};
  std::atomic<const char*> last_command{"NULL"};  // "client|list", as CLIENT LIST shows it
  std::atomic<bool> is_subscriber{false};         // subscribes to anything (CLIENT KILL TYPE)

  mutable Mutex mu;
  std::string name GUARDED_BY(mu);
  std::string lib_name GUARDED_BY(mu);
  std::string lib_ver GUARDED_BY(mu);
  std::string user_name GUARDED_BY(mu) = "default";  // CLIENT LIST user=, CLIENT KILL USER
  std::string UserName() const {
    MutexLock l(&mu);
    return user_name;
  }

  // The ACL user (owner thread only): a snapshot, refreshed when Acl::generation() moves past
  // user_generation (acl_check.cc). Null: "default", not yet looked up.
  std::shared_ptr<const AclUser> user;
  uint64_t user_generation = 0;

  // Set by commands for the connection (owner thread only).
  bool close_after_reply = false;  // QUIT: send what is pending, then close
  bool close_now = false;          // drop the connection without a reply
  // Set by the first CLIENT KILL that matched the connection (any thread; mutable: killing
  // does not change what the session says): it is closing, and no later KILL counts it, as
  // Redis frees a killed client at once.
  mutable std::atomic<bool> killed{false};
  bool monitor = false;        // MONITOR: from now on the connection streams commands
  bool script_client = false;  // the client a script's redis.call runs as (never BUSY)
  // CLIENT REPLY: kOff drops every reply, kSkipThis drops the reply of the CLIENT REPLY SKIP
  // itself and becomes kSkipNext, which drops the next command's (the connection applies it).
  enum class ReplyMode { kOn, kOff, kSkipThis, kSkipNext };
  ReplyMode reply_mode = ReplyMode::kOn;

  // Keyspace notifications of the command running (owner thread only; Dispatch publishes them).
  std::vector<KeyNotification> notifications;

  // MULTI/EXEC state (owner thread only).
  bool in_multi = false;
  bool multi_aborted = false;  // a command failed to queue: EXEC answers EXECABORT
  std::vector<std::vector<std::string>> queued;
  std::vector<Keyspace::WatchToken> watches;

  // Pub/sub (owner thread only): the inbox, made by the first subscription, and what this
  // client subscribes to. With any of them in RESP2 the client is in subscribed mode.
  std::shared_ptr<Subscriber> subscriber;
  std::set<std::string> channels, patterns, shard_channels;
  size_t subscriptions() const { return channels.size() + patterns.size(); }
  bool subscribed() const { return subscriptions() + shard_channels.size() > 0; }
};

}  // namespace tally
