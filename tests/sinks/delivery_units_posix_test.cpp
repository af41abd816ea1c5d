// Delivery mechanics that need POSIX: bounded KVP pool-file locks (flock, an fcntl lock from a
// forked process) and KVP convergence, symlink refusal in the state folder, and a history write
// cut short by a file-size limit. Time is a ManualClock; nothing sleeps.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>

#include "probes/os/atomic_file.h"
#include "reporting/sinks/alertmanager_sink.h"
#include "reporting/sinks/kvp_sink.h"
#include "reporting/sinks/report_file_sink.h"
#include "reporting/sinks/webhook_sink.h"
#include "tests/sinks/delivery_test_reports.h"
#include "tests/support/manual_clock.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using namespace std::chrono_literals;
using latchwatch::VerdictCode;
using reporting::CycleReport;
using reporting::Transition;
using testing::TempDir;

using testing::delivery::report_for;

// ---- KVP: bounded lock waits and convergence ----

std::string our_value(const std::string& pool) {
  auto content = testing::read_file(pool);
  for (std::size_t off = 0; off + reporting::kKvpRecordSize <= content.size();
       off += reporting::kKvpRecordSize) {
    std::string key(content.data() + off, reporting::kKvpKeySize);
    key = key.substr(0, key.find('\0'));
    if (key.rfind(reporting::kKvpPrefix, 0) != 0) continue;
    std::string value(content.data() + off + reporting::kKvpKeySize, reporting::kKvpValueSize);
    return value.substr(0, value.find('\0'));
  }
  return {};
}

TEST(KvpSink, ALockHeldThroughAReadOnlyHandleFailsWithinItsBoundAndTheNextCycleConverges) {
  TempDir dir;
  const std::string pool = dir / "kvp_pool_1";
  testing::write_file(pool, "");
  testing::ManualClock clock(100ms);  // every look at the clock moves it on: no real waiting
  reporting::KvpSink sink(pool, 2000ms, clock);
  int holder = ::open(pool.c_str(), O_RDONLY | O_CLOEXEC);  // read-only is enough to flock
  ASSERT_GE(holder, 0);
  ASSERT_EQ(::flock(holder, LOCK_EX), 0);
  auto result = sink.publish(report_for(VerdictCode::key_lost, Transition::fired));
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("locked by another process"), std::string::npos) << result.error;
  EXPECT_EQ(our_value(pool), "") << "nothing written under someone else's lock";
  ::close(holder);
  // The next cycle is "unchanged", but the pool is not in step: it is written now.
  ASSERT_TRUE(sink.publish(report_for(VerdictCode::key_lost, Transition::unchanged)).ok);
  EXPECT_EQ(nlohmann::json::parse(our_value(pool))["verdict"], "key_lost");
}

TEST(KvpSink, AnFcntlLockFromAnotherProcessIsBoundedToo) {
  TempDir dir;
  const std::string pool = dir / "kvp_pool_1";
  testing::write_file(pool, "");
  int ready[2], release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // hv_kvp_daemon's way: an fcntl record lock
    int fd = ::open(pool.c_str(), O_RDWR);
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    char c = ::fcntl(fd, F_SETLKW, &lock) == 0 ? 'y' : 'n';
    if (::write(ready[1], &c, 1) != 1) ::_exit(2);
    if (::read(release[0], &c, 1) < 0) ::_exit(2);
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  testing::ManualClock clock(100ms);
  reporting::KvpSink sink(pool, 2000ms, clock);
  EXPECT_FALSE(sink.publish(report_for(VerdictCode::key_lost, Transition::fired)).ok);
  ASSERT_EQ(::write(release[1], "x", 1), 1);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(sink.publish(report_for(VerdictCode::key_lost, Transition::unchanged)).ok);
  EXPECT_EQ(nlohmann::json::parse(our_value(pool))["verdict"], "key_lost");
  for (int fd : {ready[0], ready[1], release[0], release[1]}) ::close(fd);
}

TEST(KvpSink, ANewSinkWritesTheCurrentStateAndAWipedPoolIsRewritten) {
  TempDir dir;
  const std::string pool = dir / "kvp_pool_1";
  {
    // KVP enabled on a running daemon (cycle 40, nothing changing): the state is written.
    reporting::KvpSink sink(pool);
    auto report = report_for(VerdictCode::key_lost, Transition::unchanged);
    report.cycle = 40;
    ASSERT_TRUE(sink.publish(report).ok);
    EXPECT_EQ(nlohmann::json::parse(our_value(pool))["verdict"], "key_lost");
    // cloud-init truncates the pool once per boot: the mirror notices and writes it again.
    testing::write_file(pool, "");
    ASSERT_TRUE(sink.publish(report).ok);
    EXPECT_EQ(nlohmann::json::parse(our_value(pool))["verdict"], "key_lost");
  }
}

// A pool file of gigabytes (hostile, or a runaway writer) was read whole into memory on every
// cycle, and written back whole: 3 GB of resident memory for a 3 GB sparse file.
TEST(KvpSink, AHugePoolFileIsRefusedUnreadAndLeftAsItWas) {
  TempDir dir;
  const std::string pool = dir / "kvp_pool_1";
  const off_t huge = off_t{100} << 20;  // above the 64 MiB bound, sparse: costs no disk
  {
    int fd = ::open(pool.c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, huge), 0);
    ::close(fd);
  }
  reporting::KvpSink sink(pool);
  auto result = sink.publish(report_for(VerdictCode::key_lost, Transition::fired));
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("larger than"), std::string::npos) << result.error;
  struct stat st {};
  ASSERT_EQ(::stat(pool.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, huge) << "the pool is not rewritten";
  EXPECT_LT(st.st_blocks, 1024) << "nothing was written into it";
}

// ---- Alertmanager: a link at its state file ----

TEST(AlertmanagerSink, AStateFileThatIsASymlinkIsReplacedNeverWrittenThrough) {
  TempDir dir;
  ASSERT_EQ(::symlink((dir / "elsewhere.json").c_str(), (dir / "alertmanager.json").c_str()), 0);
  reporting::AlertmanagerOptions options;
  options.url = "http://127.0.0.1:1";
  options.timeout = 100ms;
  options.state_file = dir / "alertmanager.json";
  reporting::AlertmanagerSink sink(options);
  sink.publish(report_for(VerdictCode::key_lost, Transition::fired));
  EXPECT_NE(::access((dir / "elsewhere.json").c_str(), F_OK), 0) << "never written through";
  struct stat st {};
  ASSERT_EQ(::lstat((dir / "alertmanager.json").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode)) << "the link was replaced by the state file";
}

// ---- state-folder writes ----

TEST(StateFolder, SymlinksAreNeverWrittenThroughAndASymlinkedSpoolIsRefused) {
  TempDir dir;
  TempDir elsewhere;
  ASSERT_EQ(::symlink(elsewhere.path().c_str(), (dir / "spool").c_str()), 0);
  EXPECT_NE(latchwatch::probes::ensure_directory(dir / "spool").find("symbolic link"),
            std::string::npos);
  EXPECT_NE(
      latchwatch::probes::write_file_atomically(dir / "spool/x.json", "{}").find("symbolic link"),
      std::string::npos);
  // A link at a file is replaced by the rename, its target untouched.
  ASSERT_EQ(::symlink((elsewhere / "target").c_str(), (dir / "report.json").c_str()), 0);
  EXPECT_EQ(latchwatch::probes::write_file_atomically(dir / "report.json", "{}"), "");
  EXPECT_NE(::access((elsewhere / "target").c_str(), F_OK), 0);
  // history.jsonl is appended to: a link there is refused (O_NOFOLLOW), never appended through.
  ASSERT_EQ(::symlink((elsewhere / "history").c_str(), (dir / "history.jsonl").c_str()), 0);
  EXPECT_NE(reporting::append_history_line(dir / "history.jsonl", "{}\n", 4096), "");
  EXPECT_NE(::access((elsewhere / "history").c_str(), F_OK), 0);

  reporting::WebhookOptions options;
  options.url = "http://127.0.0.1:1/hook";
  options.secret = "s";
  options.spool_dir = dir / "spool";
  reporting::WebhookSink sink(options);
  auto kept = sink.accept(report_for(VerdictCode::key_lost, Transition::fired));
  EXPECT_FALSE(kept.ok);
  EXPECT_NE(kept.error.find("symbolic link"), std::string::npos) << kept.error;
  EXPECT_FALSE(sink.publish(report_for(VerdictCode::key_lost, Transition::fired)).ok);
  EXPECT_TRUE(testing::files_containing(elsewhere.path(), "key_lost").empty())
      << "nothing spooled through the link";
}

TEST(ReportFileSink, APartialWriteAfterRotationIsCutBackWithoutPaddingTheNewFile) {
  TempDir dir;
  const std::string history = dir / "history.jsonl";
  const std::string old_content(5000, 'o');
  testing::write_file(history, old_content);
  const std::string line = std::string(3000, 'n') + "\n";
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A file-size limit makes write() stop part-way through the line, as a full disk does.
    std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit {
      1000, 1000
    };
    ::setrlimit(RLIMIT_FSIZE, &limit);
    auto error = reporting::append_history_line(history, line, 4096);
    ::_exit(error.empty() ? 1 : 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the partial write is reported";
  EXPECT_EQ(testing::read_file(history + ".1"), old_content) << "rotated intact";
  auto fresh = testing::read_file(history);
  EXPECT_EQ(fresh.find('\0'), std::string::npos) << "no NUL padding";
  EXPECT_EQ(fresh, "") << "the partial line was cut off the new file";
}

}  // namespace
}  // namespace latchwatch
