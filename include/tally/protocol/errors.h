// Every Redis error text Tally sends, spelled exactly as Redis 7.0 spells it. One place, so
// that clients matching on the text and the differential tests agree with Redis.
//
// As in Redis's shared error objects, a text that carries its own code (WRONGTYPE, NOAUTH, ...)
// starts with '-'; ReplyWriter::Error() prefixes every other text with "ERR ".
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace tally::errors {

// A text with "%s" holes, each filled in order by one of args (a hole with no arg left stays
// "%s"). Only "%s" is special: the args are copied as they are.
std::string FillArgs(std::string_view text, std::initializer_list<std::string_view> args);
template <typename... Args>
std::string Fill(std::string_view text, const Args&... args) {
  return FillArgs(text, {std::string_view(args)...});
}

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
// Tally's own: a list is stored as one value, bounded as a string is (Redis has no limit).
inline constexpr const char* kListTooLong =
    "list exceeds maximum allowed size (proto-max-bulk-len)";
// t_list.c
inline constexpr const char* kIndexOutOfRange = "index out of range";
inline constexpr const char* kRankZero =
    "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
    "negative to start from the end of the list";
inline constexpr const char* kCountNegative = "COUNT can't be negative";
inline constexpr const char* kMaxlenNegative = "MAXLEN can't be negative";
inline constexpr const char* kNumkeysPositive = "numkeys should be greater than 0";
inline constexpr const char* kCountPositive = "count should be greater than 0";
inline constexpr const char* kNoConfigFile = "The server is running without a config file";
inline constexpr const char* kRewriteFailed = "Rewriting config file: ";
inline constexpr const char* kBgsaveInProgress = "Background save already in progress";
// Tally's own (Redis replies a bare "-ERR" when a save fails); the reason follows.
inline constexpr const char* kBackupFailed = "backup failed: ";
// addReplySubcommandSyntaxError: the subcommand as sent, the command in upper case.
inline constexpr const char* kSubcommandSyntax =
    "unknown subcommand or wrong number of arguments for '%s'. Try %s HELP.";
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
inline constexpr const char* kNoScript = "-NOSCRIPT No matching script. Please use EVAL.";
inline constexpr const char* kScriptingUnavailable = "scripting is not available";
inline constexpr const char* kScriptKilled = "Script killed by user with SCRIPT KILL...";
inline constexpr const char* kScriptCompile = "Error compiling script (new function): ";
inline constexpr const char* kScriptRunError = "Error running script %s, %s\n";
inline constexpr const char* kShebangInvalid = "Invalid script shebang";
inline constexpr const char* kShebangEngineInvalid = "Invalid engine in script shebang";
inline constexpr const char* kShebangEngineUnexpected = "Unexpected engine in script shebang: %s";
inline constexpr const char* kShebangOption = "Unknown lua shebang option: %s";
inline constexpr const char* kShebangFlag = "Unexpected flag in script shebang: %s";
// The redis.* API inside a script (script_lua.c).
inline constexpr const char* kLuaArgType =
    "Lua redis lib command arguments must be strings or integers";
inline constexpr const char* kLuaUnknownCommand = "Unknown Redis command called from script";
inline constexpr const char* kLuaWrongArity =
    "Wrong number of args calling Redis command from script";
inline constexpr const char* kLuaNoScript = "This Redis command is not allowed from script";
inline constexpr const char* kLuaWriteInReadOnly =
    "Write commands are not allowed from read-only scripts.";
inline constexpr const char* kLuaCallOutside =
    "redis.call/pcall can only be called inside a script invocation";
inline constexpr const char* kLuaNoArguments =
    "Please specify at least one argument for this redis lib call";
inline constexpr const char* kLuaArgsNumberOrType = "wrong number or type of arguments";
inline constexpr const char* kLuaArgsNumber = "wrong number of arguments";
inline constexpr const char* kLuaLogArity = "redis.log() requires two arguments or more.";
inline constexpr const char* kLuaLogLevelType = "First argument must be a number (log level).";
inline constexpr const char* kLuaLogLevel = "Invalid debug level.";
inline constexpr const char* kLuaSetrespOutside =
    "redis.setresp can only be called inside a script invocation";
inline constexpr const char* kLuaSetrespArity = "redis.setresp() requires one argument.";
inline constexpr const char* kLuaSetrespVersion = "RESP version must be 2 or 3.";
inline constexpr const char* kLuaSetReplOutside =
    "redis.set_repl can only be called inside a script invocation";
inline constexpr const char* kLuaSetReplArity = "redis.set_repl() requires two arguments.";
inline constexpr const char* kLuaSetReplFlags =
    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.";
inline constexpr const char* kLuaAclCheckOutside =
    "redis.acl_check_cmd can only be called inside a script invocation";
inline constexpr const char* kLuaAclCheckCommand =
    "Invalid command passed to redis.acl_check_cmd()";
inline constexpr const char* kLuaStackLimit = "reached lua stack limit";
inline constexpr const char* kLuaOutOfMemory = "out of memory";
// Functions (function_lua.c, functions.c).
inline constexpr const char* kFunctionNotFound = "Function not found";
inline constexpr const char* kFunctionWriteInRo =
    "Can not execute a script with write flag using *_ro command.";
inline constexpr const char* kFunctionLoadTimeout = "FUNCTION LOAD timeout";
inline constexpr const char* kFunctionLoadOption = "Unknown option given: %s";
inline constexpr const char* kFunctionCodeMissing = "Function code is missing";
inline constexpr const char* kFunctionFlushOption =
    "FUNCTION FLUSH only supports SYNC|ASYNC option";
inline constexpr const char* kFunctionListArg = "Unknown argument %s";
inline constexpr const char* kFunctionRegister = "Error registering functions: %s";
inline constexpr const char* kFunctionCompile = "Error compiling function: %s";
inline constexpr const char* kFunctionExists = "Function %s already exists";
inline constexpr const char* kFunctionExistsInLibrary = "Function already exists in the library";
inline constexpr const char* kNoFunctions = "No functions registered";
inline constexpr const char* kLibraryMetadataMissing = "Missing library metadata";
inline constexpr const char* kLibraryMetadataInvalid = "Invalid library metadata";
inline constexpr const char* kLibraryMetadataValue = "Invalid metadata value given: %s";
inline constexpr const char* kEngineNotFound = "Engine '%s' not found";
inline constexpr const char* kLibraryNameMissing = "Library name was not given";
inline constexpr const char* kLibraryNameArgMissing = "library name argument was not given";
inline constexpr const char* kLibraryNameInvalid =
    "Library names can only contain letters, numbers, or underscores(_) and must be at least "
    "one character long";
inline constexpr const char* kLibraryExists = "Library '%s' already exists";
inline constexpr const char* kRestoreLibraryExists = "Library %s already exists";
inline constexpr const char* kLibraryNotFound = "Library not found";
inline constexpr const char* kDumpPreGa = "Pre-GA function format not supported";
inline constexpr const char* kDumpNotFunction = "given type is not a function";
inline constexpr const char* kDumpBadPayload = "failed loading the library payload";
inline constexpr const char* kRegisterOutside =
    "redis.register_function can only be called on FUNCTION LOAD command";
inline constexpr const char* kRegisterArity =
    "wrong number of arguments to redis.register_function";
inline constexpr const char* kRegisterFirstArg =
    "first argument to redis.register_function must be a string";
inline constexpr const char* kRegisterSecondArg =
    "second argument to redis.register_function must be a function";
inline constexpr const char* kRegisterSingleArg =
    "calling redis.register_function with a single argument is only applicable to Lua table "
    "(representing named arguments).";
inline constexpr const char* kRegisterKeyType =
    "named argument key given to redis.register_function is not a string";
inline constexpr const char* kRegisterNameType =
    "function_name argument given to redis.register_function must be a string";
inline constexpr const char* kRegisterDescriptionType =
    "description argument given to redis.register_function must be a string";
inline constexpr const char* kRegisterCallbackType =
    "callback argument given to redis.register_function must be a function";
inline constexpr const char* kRegisterFlagsType =
    "flags argument to redis.register_function must be a table representing function flags";
inline constexpr const char* kRegisterUnknownFlag = "unknown flag given";
inline constexpr const char* kRegisterUnknownArg =
    "unknown argument given to redis.register_function";
inline constexpr const char* kRegisterNoName =
    "redis.register_function must get a function name argument";
inline constexpr const char* kRegisterNoCallback =
    "redis.register_function must get a callback argument";
// OBJECT, WAIT, COMMAND GETKEYS, CLIENT.
inline constexpr const char* kNoLfuPolicy =
    "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that "
    "when switching between policies at runtime LRU and LFU data will take some time to adjust.";
inline constexpr const char* kTimeoutNotInteger = "timeout is not an integer or out of range";
inline constexpr const char* kTimeoutNegative = "timeout is negative";
inline constexpr const char* kGetkeysInvalidCommand = "Invalid command specified";
inline constexpr const char* kGetkeysArity = "Invalid number of arguments specified for command";
inline constexpr const char* kGetkeysNoKeys = "The command has no key arguments";
inline constexpr const char* kGetkeysInvalidArgs = "Invalid arguments specified for command";
inline constexpr const char* kNoSuchClient = "No such client";
inline constexpr const char* kPauseMode = "CLIENT PAUSE mode must be WRITE or ALL";
inline constexpr const char* kClientIdPositive = "client-id should be greater than 0";
inline constexpr const char* kUnknownClientType = "Unknown client type '%s'";
inline constexpr const char* kNoSuchUser = "No such user '%s'";
// Connection, keyspace, expiry, transactions, CONFIG, SHUTDOWN.
inline constexpr const char* kHelloOption = "Syntax error in HELLO option '%s'";
inline constexpr const char* kUnrecognizedOption = "Unrecognized option '%s'";
inline constexpr const char* kUnsupportedOption = "Unsupported option %s";
inline constexpr const char* kExpireNxWithOthers =
    "NX and XX, GT or LT options at the same time are not compatible";
inline constexpr const char* kExpireGtLt = "GT and LT options at the same time are not compatible";
inline constexpr const char* kInvalidExpireTime = "invalid expire time in '%s' command";
inline constexpr const char* kOffsetOutOfRange = "offset is out of range";
inline constexpr const char* kInvalidCursor = "invalid cursor";
inline constexpr const char* kNoSuchKey = "no such key";
inline constexpr const char* kUnknownSubcommand = "unknown subcommand '%s'. Try %s HELP.";
inline constexpr const char* kConfigSetUnknown =
    "Unknown option or number of arguments for CONFIG SET - '%s'";
inline constexpr const char* kConfigSetFailed =
    "CONFIG SET failed (possibly related to argument '%s') - %s";
inline constexpr const char* kTlsUpdateFailed =
    "Unable to update TLS configuration. Check server logs.";
inline constexpr const char* kNoShutdown = "No shutdown in progress.";
inline constexpr const char* kMultiNested = "MULTI calls can not be nested";
inline constexpr const char* kDiscardWithoutMulti = "DISCARD without MULTI";
inline constexpr const char* kWatchInMulti = "WATCH inside MULTI is not allowed";
inline constexpr const char* kExecWithoutMulti = "EXEC without MULTI";
inline constexpr const char* kExecAbort =
    "-EXECABORT Transaction discarded because of previous errors.";
inline constexpr const char* kExecAbortBecause = "-EXECABORT Transaction discarded because of: %s";
inline constexpr const char* kCantExecute = "Can't execute '%s': ";
// ACL (acl.c).
inline constexpr const char* kNoPermCommand =
    "-NOPERM this user has no permissions to run the '%s' command";
inline constexpr const char* kNoPermKey =
    "-NOPERM this user has no permissions to access one of the keys used as arguments";
inline constexpr const char* kNoPermChannel =
    "-NOPERM this user has no permissions to access one of the channels used as arguments";
inline constexpr const char* kAclSetUserModifier = "Error in ACL SETUSER modifier '%s': %s";
inline constexpr const char* kAclSyntax = "Syntax error";
inline constexpr const char* kAclUnknownCommand = "Unknown command or category name in ACL";
inline constexpr const char* kAclKeysAfterAll =
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
    "have any effect. Try 'resetkeys' to start with an empty list of patterns";
inline constexpr const char* kAclChannelsAfterAll =
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not "
    "have any effect. Try 'resetchannels' to start with an empty list of channels";
inline constexpr const char* kAclBadHash =
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
    "characters";
inline constexpr const char* kAclNoSuchPassword =
    "The password you are trying to remove from the user does not exist";
inline constexpr const char* kAclDuplicateUser =
    "Duplicate user found. A user can only be defined once in config files";
// Tally's own: Redis 7.0 takes these; tallyd refuses them rather than half-apply them.
inline constexpr const char* kAclFirstArg =
    "Allowing first-arg of a command (+cmd|arg) is not supported by tallyd";
inline constexpr const char* kAclSelectors = "Selectors (...) are not supported by tallyd";
inline constexpr const char* kAclDeleteDefault = "The 'default' user cannot be removed";
inline constexpr const char* kAclUnknownCategory = "Unknown category '%s'";
inline constexpr const char* kAclGenpassBits =
    "ACL GENPASS argument must be the number of bits for the output password, a positive number "
    "up to 4096";
inline constexpr const char* kAclNoFile =
    "This Redis instance is not configured to use an ACL file. You may want to specify users via "
    "the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
    "configuration file set) in order to store users in the Redis configuration.";
inline constexpr const char* kAclUserNotFound = "User '%s' not found";
inline constexpr const char* kAclCommandNotFound = "Command '%s' not found";
inline constexpr const char* kAclDryrunArity = "wrong number of arguments for '%s' command";
inline constexpr const char* kAclDryrunCommand =
    "This user has no permissions to run the '%s' command";
inline constexpr const char* kAclDryrunKey = "This user has no permissions to access the '%s' key";
inline constexpr const char* kAclDryrunChannel =
    "This user has no permissions to access the '%s' channel";
inline constexpr const char* kAclFileOpen = "cannot open the ACL file %s";
inline constexpr const char* kAclFileWrite = "cannot write the ACL file %s";
inline constexpr const char* kAclFileLine = "lines must be: user <name> <rules...>";
inline constexpr const char* kAclFileRule = "Error in applying operation '%s': %s";
// A `user` line of the config file (Redis's config.c).
inline constexpr const char* kAclUserDeclaration = "Error in user declaration '%s': %s";
inline constexpr const char* kAclFileAndUserLines =
    "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path "
    "is invalid. This setup is very likely to lead to configuration errors and security holes, "
    "please define either an ACL file or declare users directly in your redis.conf, but not "
    "both.";
inline constexpr const char* kAclLoadFailed =
    "%s. WARNING: ACL errors detected, no change to the previously active ACL rules was "
    "performed";
inline constexpr const char* kLuaAclCommand =
    "The user executing the script can't run this command or subcommand";
inline constexpr const char* kLuaAclKey =
    "The user executing the script can't access at least one of the keys mentioned in the "
    "command arguments";
inline constexpr const char* kLuaAclChannel =
    "The user executing the script can't publish to the channel mentioned in the command";
// Tally's own: the write-ahead log failed (fail-stop), or the store reported an error.
inline constexpr const char* kLogFailedMisconf =
    "-MISCONF Errors writing to the write-ahead log: %s. Writes are refused until tallyd is "
    "restarted on a healthy disk.";
inline constexpr const char* kStorageError = "storage error: %s";
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
