// Stream: a RESP client's byte stream, plain TCP or TLS over TCP, as one Asio AsyncReadStream
// and AsyncWriteStream, so that the connection's code (reads, asio::async_write, the pub/sub
// reader and writer running at once) is the same for both. Operations go straight to the
// socket or to the SSL stream: no extra coroutine frame or type erasure on the plain path.
//
// Thread-safety: as Asio's sockets: one read and one write may be in flight at a time, all on
// the stream's executor.
#pragma once

#include <asio/async_result.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>

namespace tally {

class Stream {
 public:
  using executor_type = asio::ip::tcp::socket::executor_type;
  using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

  // Plain TCP.
  explicit Stream(asio::ip::tcp::socket socket) : plain_(std::move(socket)) {}
  // TLS, server side, over `socket`; the caller runs the handshake (tls()) before anything else.
  // The stream keeps `context` alive (CONFIG SET tls-* gives later clients another one).
  Stream(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> context)
      : context_(std::move(context)), tls_(std::in_place, std::move(socket), *context_) {}

  // The TCP socket underneath (addresses, options, cancel, close).
  asio::ip::tcp::socket& socket() { return tls_ ? tls_->next_layer() : *plain_; }
  executor_type get_executor() { return socket().get_executor(); }
  // The SSL stream, or nullptr for plain TCP.
  TlsStream* tls() { return tls_ ? &*tls_ : nullptr; }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          if (tls_) {
            tls_->async_read_some(b, std::move(handler));
          } else {
            plain_->async_read_some(b, std::move(handler));
          }
        },
        token, buffers);
  }

  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          if (tls_) {
            tls_->async_write_some(b, std::move(handler));
          } else {
            plain_->async_write_some(b, std::move(handler));
          }
        },
        token, buffers);
  }

 private:
  std::optional<asio::ip::tcp::socket> plain_;
  std::shared_ptr<asio::ssl::context> context_;  // before tls_, which uses it
  std::optional<TlsStream> tls_;
};

}  // namespace tally
