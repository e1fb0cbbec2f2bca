// Persistence commands: SAVE, BGSAVE, LASTSAVE. Tally's data is always durable in its log;
// these make backups (RocksDB checkpoints, storage/backup.h) under backup-dir, with Redis's
// replies, so tools that trigger and watch saves work unchanged.
#include <filesystem>

#include "tally/commands/command_table.h"
#include "tally/protocol/errors.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

void ReplyBackupError(ReplyWriter& reply, const Status& st) {
  if (st.code() == Status::Code::kBusy) return reply.Error(errors::kBgsaveInProgress);
  reply.Error(std::string(errors::kBackupFailed) + st.ToString());
}

void SaveCommand(CommandContext& ctx) {
  auto info = ctx.server.backups().Save(BackupRoot(ctx.server.config()));
  if (!info.ok()) return ReplyBackupError(ctx.reply, info.status());
  ctx.reply.Ok();
}

void BgsaveCommand(CommandContext& ctx) {
  // SCHEDULE matters in Redis only while an AOF rewrite runs, which Tally never has.
  if (ctx.args.size() > 2 || (ctx.args.size() == 2 && !EqualsIgnoreCase(ctx.args[1], "schedule")))
    return ctx.reply.Error(errors::kSyntax);
  Status st = ctx.server.backups().StartBackground(BackupRoot(ctx.server.config()));
  if (!st.ok()) return ReplyBackupError(ctx.reply, st);
  ctx.reply.SimpleString("Background saving started");
}

void LastsaveCommand(CommandContext& ctx) {
  ctx.reply.Integer(ctx.server.backups().state().last_save_ms / 1000);
}

}  // namespace

std::string BackupRoot(Config& config) {
  const std::string dir = config.Str(Opt::kBackupDir);
  if (!dir.empty()) return dir;
  return (std::filesystem::path(config.Str(Opt::kDir)) / "backups").string();
}

void RegisterPersistenceCommands(CommandTable* t) {
  t->Register(MakeCommand("save", 1, kCmdAdmin, SaveCommand, "server",
                          "Synchronously save the dataset to disk", "1.0.0"));
  t->Register(MakeCommand("bgsave", -1, kCmdAdmin, BgsaveCommand, "server",
                          "Asynchronously save the dataset to disk", "1.0.0"));
  t->Register(MakeCommand("lastsave", 1, kCmdLoading | kCmdStale | kCmdFast, LastsaveCommand,
                          "server", "Get the UNIX time stamp of the last successful save to disk",
                          "1.0.0"));
}

}  // namespace tally
