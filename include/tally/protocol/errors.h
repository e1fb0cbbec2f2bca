// Every Redis error text Tally sends, spelled exactly as Redis 7.0 spells it. One place, so
// that clients matching on the text and the differential tests agree with Redis.
//
// As in Redis's shared error objects, a text that carries its own code (WRONGTYPE, NOAUTH, ...)
// starts with '-'; ReplyWriter::Error() prefixes every other text with "ERR ".
#pragma once

namespace tally::errors {

// Protocol errors: the connection is closed after the reply.
inline constexpr const char* kTooBigInline = "Protocol error: too big inline request";
inline constexpr const char* kUnbalancedQuotes = "Protocol error: unbalanced quotes in request";
inline constexpr const char* kTooBigMbulkCount = "Protocol error: too big mbulk count string";
inline constexpr const char* kInvalidMbulkLength = "Protocol error: invalid multibulk length";
inline constexpr const char* kUnauthMbulkLength =
    "Protocol error: unauthenticated multibulk length";
inline constexpr const char* kTooBigBulkCount = "Protocol error: too big bulk count string";
inline constexpr const char* kInvalidBulkLength = "Protocol error: invalid bulk length";
inline constexpr const char* kUnauthBulkLength = "Protocol error: unauthenticated bulk length";
// "Protocol error: expected '$', got '%c'" is formatted by the parser.

// Command errors.
inline constexpr const char* kSyntax = "syntax error";
inline constexpr const char* kNotInteger = "value is not an integer or out of range";
inline constexpr const char* kNotFloat = "value is not a valid float";
inline constexpr const char* kOverflow = "increment or decrement would overflow";
inline constexpr const char* kDecrementOverflow = "decrement would overflow";
inline constexpr const char* kNanOrInfinity = "increment would produce NaN or Infinity";
inline constexpr const char* kWrongType =
    "-WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr const char* kNoAuth = "-NOAUTH Authentication required.";
inline constexpr const char* kWrongPass =
    "-WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr const char* kAuthNoPassword =
    "AUTH <password> called without any password configured for the default user. Are you sure "
    "your configuration is correct?";
inline constexpr const char* kHelloNoAuth =
    "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
    "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
    "protocol version at the same time";
inline constexpr const char* kNoProto = "-NOPROTO unsupported protocol version";
inline constexpr const char* kProtoNotInteger =
    "Protocol version is not an integer or out of range";
inline constexpr const char* kDbIndexOutOfRange = "DB index is out of range";
inline constexpr const char* kInvalidDbIndex = "invalid DB index";
inline constexpr const char* kMaxClients = "max number of clients reached";
inline constexpr const char* kClientNameChars =
    "Client names cannot contain spaces, newlines or special characters.";
inline constexpr const char* kStringTooLong =
    "string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr const char* kMiscPrefix = "-MISCONF ";
inline constexpr const char* kNoConfigFile = "The server is running without a config file";
inline constexpr const char* kRewriteFailed = "Rewriting config file: ";
inline constexpr const char* kBgsaveInProgress = "Background save already in progress";
// Tally's own (Redis replies a bare "-ERR" when a save fails); the reason follows.
inline constexpr const char* kBackupFailed = "backup failed: ";
// addReplySubcommandSyntaxError: then the subcommand as sent and "'. Try <COMMAND> HELP.".
inline constexpr const char* kSubcommandSyntax =
    "unknown subcommand or wrong number of arguments for '";
// "Can't execute '<command>': " comes first.
inline constexpr const char* kSubscribedMode =
    "only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";
// Scripting (eval.c, script.c).
inline constexpr const char* kBadNumberOfKeys = "Bad number of keys provided";
inline constexpr const char* kNegativeKeys = "Number of keys can't be negative";
inline constexpr const char* kTooManyKeys = "Number of keys can't be greater than number of args";
inline constexpr const char* kScriptFlushOption = "SCRIPT FLUSH only support SYNC|ASYNC option";
inline constexpr const char* kNotBusy = "-NOTBUSY No scripts in execution right now.";
inline constexpr const char* kUnkillable =
    "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can "
    "either wait the script termination or kill the server in a hard way using the SHUTDOWN "
    "NOSAVE command.";
inline constexpr const char* kBusyScript =
    "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
inline constexpr const char* kBusyFunction =
    "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
inline constexpr const char* kMustBePositive = "value is out of range, must be positive";
// INCREX (Redis 8.8).
inline constexpr const char* kIncrementNotInteger = "Increment is not an integer or out of range";
inline constexpr const char* kIncrementNotFloat = "Increment is not a valid float";
inline constexpr const char* kIncrementInfinity = "BYFLOAT increment cannot be Infinity";
inline constexpr const char* kLboundNotInteger = "LBOUND is not an integer or out of range";
inline constexpr const char* kUboundNotInteger = "UBOUND is not an integer or out of range";
inline constexpr const char* kLboundNotFloat = "LBOUND is not a valid float";
inline constexpr const char* kUboundNotFloat = "UBOUND is not a valid float";
inline constexpr const char* kBoundsCrossed = "LBOUND can't be greater than UBOUND";
inline constexpr const char* kEnxNeedsExpiration = "ENX flag requires an expiration";
inline constexpr const char* kValueInfinity = "value cannot be Infinity";
inline constexpr const char* kAppliedOverflow = "applied increment would overflow";
inline constexpr const char* kAppliedInfinity = "applied increment would be Infinity";
// CL.THROTTLE: redis-cell's texts (a module's "Cell error"), and Tally's where it has none.
inline constexpr const char* kThrottleUsage =
    "-Cell error: Usage: cl.throttle <key> <max_burst> <count per period> <period> "
    "[<quantity>]";
inline constexpr const char* kThrottleNotInteger = "-Cell error: Couldn't parse as integer: ";
inline constexpr const char* kThrottleRange =
    "-Cell error: max_burst and quantity must be >= 0, count per period and period > 0, and "
    "at most a million actions per second";
// IDMP (Tally's own).
inline constexpr const char* kIdsFull =
    "too many request ids kept (idempotency-max-ids); retry later or raise the limit";
inline constexpr const char* kSlowlogCount = "count should be greater than or equal to -1";

// HTTP API errors (Tally's own; the code goes in {"error": {"code": ...}}, the text in
// "message").
namespace http {
inline constexpr const char* kBadRequest = "BADREQUEST";
inline constexpr const char* kNotFound = "NOTFOUND";
inline constexpr const char* kUnauthorized = "UNAUTHORIZED";
inline constexpr const char* kTooLarge = "TOOLARGE";
inline constexpr const char* kUnavailable = "UNAVAILABLE";
inline constexpr const char* kNoSuchKey = "no such key";
inline constexpr const char* kNoSuchRoute = "no such endpoint";
inline constexpr const char* kMethodNotAllowed = "method not allowed";
inline constexpr const char* kAuthRequired =
    "authentication required: send Authorization: Bearer <password> or Basic";
inline constexpr const char* kWrongCredentials = "invalid username-password pair";
inline constexpr const char* kInvalidJson = "the body is not valid JSON";
inline constexpr const char* kBodyNotObject = "the body must be a JSON object";
inline constexpr const char* kByNotInteger = "\"by\" must be an integer";
inline constexpr const char* kByFloatNotString = "\"by_float\" must be a string such as \"1.5\"";
inline constexpr const char* kByAndByFloat = "give \"by\" or \"by_float\", not both";
inline constexpr const char* kBoundNotNumber =
    "\"min\" and \"max\" must be integers (or strings such as \"1.5\" with \"by_float\")";
inline constexpr const char* kThrottleParams =
    "\"max_burst\", \"count_per_period\" and \"period\" (and \"quantity\", default 1) must be "
    "integers";
inline constexpr const char* kSaturateNotBool = "\"saturate\" must be true or false";
inline constexpr const char* kValueMissing = "\"value\" (an integer or a string) is required";
inline constexpr const char* kTtlNotPositive = "\"ttl_ms\" must be a positive integer";
inline constexpr const char* kArgsNotStrings =
    "\"args\" must be a non-empty array of strings (or integers)";
inline constexpr const char* kNotOverHttp =
    "this command changes per-connection state and is not available over HTTP";
inline constexpr const char* kBadDb = "db must be an integer from 0 to databases-1";
inline constexpr const char* kBadLimit = "limit must be an integer from 1 to 1000";
inline constexpr const char* kBadPercent = "invalid percent-encoding";
inline constexpr const char* kHeadersTooLarge = "request headers too large";
inline constexpr const char* kBodyTooLarge = "request body too large";
inline constexpr const char* kMalformed = "malformed HTTP request";
inline constexpr const char* kLogFailed = "the write-ahead log has failed: writes are refused";
}  // namespace http

}  // namespace tally::errors
