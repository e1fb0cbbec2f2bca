// The TLS side of the server: the one OpenSSL context every TLS client's stream is made from,
// built from the tls-* options as Redis 7.0's tls.c builds it.
#pragma once

#include <asio/ssl/context.hpp>
#include <memory>

#include "tally/util/config.h"
#include "tally/util/status.h"

namespace tally {

// The server context for `config`: certificate and key (checked against each other), the CAs
// that client certificates are verified against (required unless tls-auth-clients is no), the
// protocol versions, ciphers and suites. An error carries Redis's text for what failed
// ("Failed to load certificate: <file>: <OpenSSL's reason>", ...).
StatusOr<std::unique_ptr<asio::ssl::context>> MakeTlsContext(const Config& config);

}  // namespace tally
