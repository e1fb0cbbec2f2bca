#include "tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>

#include "tally/util/strings.h"

namespace tally {
namespace {

enum AuthClients { kAuthNo = 0, kAuthYes = 1, kAuthOptional = 2 };  // tls-auth-clients' order

// OpenSSL's reason for the last failure, and clears its error queue.
std::string LastError() {
  char buf[256] = "unknown error";
  unsigned long e = ERR_peek_last_error();
  if (e != 0) ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

Status Failed(const std::string& what) { return Status::InvalidArgument(what); }

// The SSL_OP_NO_* options that leave only the versions tls-protocols names (Redis's default:
// TLSv1.2 and TLSv1.3).
StatusOr<long> ProtocolOptions(const std::string& protocols) {
  long all = SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_TLSv1_2 | SSL_OP_NO_TLSv1_3;
  if (protocols.empty()) return static_cast<long>(SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1);
  auto names = SplitArgs(protocols);
  if (!names) names.emplace();
  long keep = 0;
  for (const std::string& n : *names) {
    if (EqualsIgnoreCase(n, "tlsv1")) {
      keep |= SSL_OP_NO_TLSv1;
    } else if (EqualsIgnoreCase(n, "tlsv1.1")) {
      keep |= SSL_OP_NO_TLSv1_1;
    } else if (EqualsIgnoreCase(n, "tlsv1.2")) {
      keep |= SSL_OP_NO_TLSv1_2;
    } else if (EqualsIgnoreCase(n, "tlsv1.3")) {
      keep |= SSL_OP_NO_TLSv1_3;
    } else {
      return Failed(
          "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', "
          "'TLSv1.2' and 'TLSv1.3'.");
    }
  }
  if (keep == 0) return Failed("No protocols enabled in tls-protocols");
  return all & ~keep;
}

Status LoadIdentity(asio::ssl::context& tls, const Config& config) {
  SSL_CTX* ctx = tls.native_handle();
  const std::string cert = config.Str(Opt::kTlsCertFile);
  const std::string key = config.Str(Opt::kTlsKeyFile);
  if (cert.empty() || key.empty()) return Failed("tls-cert-file and tls-key-file must be set");
  const std::string pass = config.Str(Opt::kTlsKeyFilePass);
  if (!pass.empty()) {
    tls.set_password_callback(
        [pass](size_t, asio::ssl::context::password_purpose) { return pass; });
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) <= 0)
    return Failed("Failed to load certificate: " + cert + ": " + LastError());
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) <= 0)
    return Failed("Failed to load private key: " + key + ": " + LastError());
  if (SSL_CTX_check_private_key(ctx) <= 0)
    return Failed("Failed to load private key: " + key + ": " + LastError());
  return Status::OK();
}

Status LoadClientVerification(SSL_CTX* ctx, const Config& config) {
  const std::string ca_file = config.Str(Opt::kTlsCaCertFile);
  const std::string ca_dir = config.Str(Opt::kTlsCaCertDir);
  const auto auth = config.Int(Opt::kTlsAuthClients);
  if (ca_file.empty() && ca_dir.empty()) {
    if (auth != kAuthNo) {
      return Failed(
          "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when "
          "tls-cluster, tls-replication or tls-auth-clients are enabled!");
    }
  } else if (SSL_CTX_load_verify_locations(ctx, ca_file.empty() ? nullptr : ca_file.c_str(),
                                           ca_dir.empty() ? nullptr : ca_dir.c_str()) <= 0) {
    return Failed("Failed to configure CA certificate(s) file/directory: " + LastError());
  }
  int mode = SSL_VERIFY_NONE;
  if (auth == kAuthYes) mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  if (auth == kAuthOptional) mode = SSL_VERIFY_PEER;
  SSL_CTX_set_verify(ctx, mode, nullptr);
  return Status::OK();
}

}  // namespace

StatusOr<std::unique_ptr<asio::ssl::context>> MakeTlsContext(const Config& config) {
  auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = tls->native_handle();
  auto protocols = ProtocolOptions(config.Str(Opt::kTlsProtocols));
  if (!protocols.ok()) return protocols.status();
  long options = SSL_OP_ALL | SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION |
                 SSL_OP_SINGLE_DH_USE | *protocols;  // OpenSSL 3 refuses client renegotiation
  if (config.Int(Opt::kTlsPreferServerCiphers)) options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
  SSL_CTX_set_options(ctx, options);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Resumed sessions with client certificates need a context id, as in Redis.
  static const unsigned char kSessionId[] = "tallyd";
  SSL_CTX_set_session_id_context(ctx, kSessionId, sizeof(kSessionId) - 1);
  if (Status st = LoadIdentity(*tls, config); !st.ok()) return st;
  if (Status st = LoadClientVerification(ctx, config); !st.ok()) return st;
  const std::string ciphers = config.Str(Opt::kTlsCiphers);
  if (!ciphers.empty() && SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) <= 0)
    return Failed("Failed to configure ciphers: " + ciphers);
  const std::string suites = config.Str(Opt::kTlsCiphersuites);
  if (!suites.empty() && SSL_CTX_set_ciphersuites(ctx, suites.c_str()) <= 0)
    return Failed("Failed to configure ciphersuites: " + suites);
  return tls;
}

}  // namespace tally
