// Server: listening on the `bind` addresses (RESP on `port`, the HTTP API on `http-port`) and
// dealing accepted sockets to the io threads.
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/write.hpp>

#include "../http/http_api.h"
#include "../http/http_connection.h"
#include "../http/metrics.h"
#include "ack_waiters.h"
#include "connection.h"
#include "listener.h"
#include "tally/protocol/errors.h"
#include "tally/server/server.h"
#include "tally/util/strings.h"
#include "tls.h"

namespace tally {

Status Server::Listen() {
  int64_t threads = config_->Int(Opt::kIoThreads);
  // Auto: one per core but one, which the commit and apply threads need (bench/README: on 2
  // cores a second io thread cost 8-26 % more CPU per request and lost throughput everywhere).
  if (threads <= 0)
    threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) - 1);
  for (int64_t i = 0; i < threads; ++i) {
    io_.push_back(std::make_unique<asio::io_context>(1));
    acks_.push_back(
        std::make_shared<AckWaiters>(io_.back()->get_executor(), engine_->commit_log()));
  }
  const int port = static_cast<int>(config_->Int(Opt::kPort));
  const int tls_port = static_cast<int>(config_->Int(Opt::kTlsPort));
  // Redis's rule and text: port 0 turns the plain port off, and one of the two must be on.
  if (port == 0 && tls_port == 0)
    return Status::InvalidArgument("Configured to not listen anywhere, exiting.");
  if (port != 0) {
    auto bound = ListenOn(port, ListenKind::kResp);
    if (!bound.ok()) return bound.status();
    bound_port_ = *bound;
  }
  if (tls_port != 0) {
    auto context = MakeTlsContext(*config_);
    if (!context.ok()) {
      return Status::InvalidArgument(context.status().message() +
                                     ". Failed to configure TLS. Check logs for more info.");
    }
    {
      MutexLock l(&tls_mu_);
      tls_context_ = std::move(*context);
    }
    auto bound = ListenOn(tls_port, ListenKind::kTls);
    if (!bound.ok()) return bound.status();
    tls_port_ = *bound;
  }
  if (config_->Int(Opt::kHttpPort) != 0) {
    http_api_ =
        std::make_unique<HttpApi>(*this, *commands_, [this] { return RenderMetrics(*this); });
    auto http = ListenOn(static_cast<int>(config_->Int(Opt::kHttpPort)), ListenKind::kHttp);
    if (!http.ok()) return http.status();
    http_port_ = *http;
  }
  for (auto& l : listeners_) StartAccepting(l.get());
  return Status::OK();
}

Status Server::ReloadTls() {
  if (tls_port_ == 0) return Status::OK();
  auto context = MakeTlsContext(*config_);
  if (!context.ok()) {
    spdlog::warn("Failed to configure TLS: {}", context.status().message());
    return Status::InvalidArgument(errors::kTlsUpdateFailed);
  }
  MutexLock l(&tls_mu_);
  tls_context_ = std::move(*context);
  return Status::OK();
}

std::shared_ptr<asio::ssl::context> Server::TlsContext() const {
  MutexLock l(&tls_mu_);
  return tls_context_;
}

StatusOr<int> Server::ListenOn(int port, ListenKind kind) {
  std::string bind = config_->Str(Opt::kBind);
  auto addrs = SplitArgs(bind);
  if (!addrs || addrs->empty()) return Status::InvalidArgument("bad bind address: " + bind);
  const size_t before = listeners_.size();
  for (std::string addr : *addrs) {
    bool optional = !addr.empty() && addr[0] == '-';  // Redis: "-::1" may fail to bind
    if (optional) addr.erase(0, 1);
    // Redis 7's wildcards: '*' is every IPv4 address, '::*' every IPv6 one.
    if (addr == "*") addr = "0.0.0.0";
    if (addr == "::*") addr = "::";
    auto l = std::make_unique<Listener>(*io_[0], kind);
    std::error_code ec;
    asio::ip::tcp::endpoint ep(asio::ip::make_address(addr, ec), static_cast<uint16_t>(port));
    if (!ec) l->acceptor.open(ep.protocol(), ec);
    if (!ec) l->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && ep.address().is_v6()) l->acceptor.set_option(asio::ip::v6_only(true), ec);
    if (!ec) l->acceptor.bind(ep, ec);
    if (!ec) l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      if (optional) {
        spdlog::warn("Skipping optional address {}:{}: {}", addr, port, ec.message());
        continue;
      }
      return Status::IOError("cannot listen on " + addr + ":" + std::to_string(port) + ": " +
                             ec.message());
    }
    if (port == 0) port = l->acceptor.local_endpoint().port();
    listeners_.push_back(std::move(l));
  }
  if (listeners_.size() == before) return Status::IOError("no address to listen on");
  return port;
}

void Server::StartAccepting(Listener* l) {
  size_t k = next_io_.fetch_add(1) % io_.size();
  l->acceptor.async_accept(*io_[k], [this, l, k](std::error_code ec, asio::ip::tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping()) return;
      spdlog::warn("Accept failed: {}", ec.message());
    } else {
      total_connections_.fetch_add(1, std::memory_order_relaxed);
      size_t connected;
      {
        MutexLock lock(&clients_mu_);
        connected = clients_.size();
      }
      if (static_cast<int64_t>(connected) >= config_->Int(Opt::kMaxclients)) {
        rejected_connections_.fetch_add(1, std::memory_order_relaxed);
        std::string refusal = "-ERR " + std::string(errors::kMaxClients) + "\r\n";
        if (l->kind == ListenKind::kHttp) {
          HttpResponse busy;
          busy.status = 503;
          busy.body = HttpApi::ErrorBody(errors::http::kUnavailable, errors::kMaxClients);
          refusal.clear();
          AppendHttpResponse(busy, /*close=*/true, &refusal);
        }
        std::error_code wec;
        asio::write(socket, asio::buffer(refusal), wec);
        socket.close(wec);
      } else if (l->kind == ListenKind::kHttp) {
        auto c = std::make_shared<HttpConnection>(std::move(socket), *this, *http_api_, acks_[k],
                                                  next_client_id_.fetch_add(1));
        OnAccepted(c, c->Run(), c->executor());
      } else {
        Stream stream = l->kind == ListenKind::kTls ? Stream(std::move(socket), TlsContext())
                                                    : Stream(std::move(socket));
        auto c = std::make_shared<Connection>(std::move(stream), *this, acks_[k],
                                              next_client_id_.fetch_add(1));
        OnAccepted(c, c->Run(), c->executor());
      }
    }
    if (!stopping()) StartAccepting(l);
  });
}

void Server::OnAccepted(std::shared_ptr<Client> client, asio::awaitable<void> run,
                        asio::any_io_executor executor) {
  {
    MutexLock lock(&clients_mu_);
    clients_[client->session().id] = std::move(client);
  }
  asio::co_spawn(executor, std::move(run), asio::detached);
}

}  // namespace tally
