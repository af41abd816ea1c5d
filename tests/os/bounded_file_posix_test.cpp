// read_bounded_file on Linux: FIFOs, /proc, devices, symlinks, modes (bounded_file_test.cpp holds
// the cases both platforms share).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probes/os/bounded_file.h"
#include "tests/support/test_support.h"

namespace latchwatch::probes {
namespace {

using testing::TempDir;
using testing::write_file;

/// Runs the enclosed code with an unprivileged effective uid when the tests run as root, so that
/// file modes apply; restores the effective uid on destruction.
class AsUnprivilegedUser {
 public:
  AsUnprivilegedUser() {
    if (::geteuid() != 0) return;
    dropped_ = ::seteuid(65534) == 0;
    failed_ = !dropped_;
  }
  ~AsUnprivilegedUser() {
    if (dropped_) (void)::seteuid(0);
  }
  AsUnprivilegedUser(const AsUnprivilegedUser&) = delete;
  AsUnprivilegedUser& operator=(const AsUnprivilegedUser&) = delete;
  bool failed() const { return failed_; }

 private:
  bool dropped_ = false;
  bool failed_ = false;
};

void make_sparse(const std::string& path, off_t size) {
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, size), 0);
  ::close(fd);
}

TEST(BoundedFileTest, ReadsASmallRegularFileWithItsMtime) {
  TempDir dir;
  write_file(dir / "f", "hello\nworld");
  timespec times[2] = {{1784715342, 0}, {1784715342, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (dir / "f").c_str(), times, 0), 0);
  auto r = read_bounded_file(dir / "f", 64);
  EXPECT_EQ(r.state, ReadState::ok) << r.error;
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.content, "hello\nworld");
  EXPECT_EQ(std::chrono::system_clock::to_time_t(r.mtime), 1784715342);
}

TEST(BoundedFileTest, ASparseTwoMebibyteFileIsTooLargeForTheDefaultLimit) {
  TempDir dir;
  make_sparse(dir / "sparse", 2 * 1024 * 1024);
  auto r = read_bounded_file(dir / "sparse");
  EXPECT_EQ(r.state, ReadState::too_large);
  EXPECT_TRUE(r.content.empty());
  EXPECT_NE(r.mtime, std::chrono::system_clock::time_point{}) << "mtime comes from fstat";
}

TEST(BoundedFileTest, AFileThatReportsSizeZeroButHoldsMoreIsStillBounded) {
  // Files in /proc report st_size 0; the read itself must stop at limit + 1.
  struct stat st {};
  ASSERT_EQ(::stat("/proc/self/status", &st), 0);
  ASSERT_EQ(st.st_size, 0);
  auto whole = read_bounded_file("/proc/self/status", 64 * 1024);
  ASSERT_EQ(whole.state, ReadState::ok) << whole.error;
  EXPECT_NE(whole.content.find("Name:"), std::string::npos);
  auto bounded = read_bounded_file("/proc/self/status", 16);
  EXPECT_EQ(bounded.state, ReadState::too_large);
  EXPECT_TRUE(bounded.content.empty());
  EXPECT_NE(bounded.error.find("grew past"), std::string::npos) << bounded.error;
}

TEST(BoundedFileTest, AFifoIsRefusedWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  // No writer: a blocking open or read would hang this test forever.
  auto r = read_bounded_file(dir / "fifo", 1024);
  EXPECT_EQ(r.state, ReadState::not_a_regular_file);
  EXPECT_TRUE(r.content.empty());
  EXPECT_NE(r.error.find("fifo"), std::string::npos) << r.error;
}

TEST(BoundedFileTest, AFifoWithAWriterIsStillNotRead) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  int reader = ::open((dir / "fifo").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  int writer = ::open((dir / "fifo").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  ASSERT_EQ(::write(writer, "secret", 6), 6);
  auto r = read_bounded_file(dir / "fifo", 1024);
  EXPECT_EQ(r.state, ReadState::not_a_regular_file);
  char buffer[16];
  EXPECT_EQ(::read(reader, buffer, sizeof buffer), 6) << "the data is still in the pipe";
  ::close(writer);
  ::close(reader);
}

TEST(BoundedFileTest, DirectoriesAndDevicesAreNotRegularFiles) {
  TempDir dir;
  EXPECT_EQ(read_bounded_file(dir.path(), 1024).state, ReadState::not_a_regular_file);
  EXPECT_EQ(read_bounded_file("/dev/null", 1024).state, ReadState::not_a_regular_file);
  EXPECT_EQ(read_bounded_file("/dev/zero", 1024).state, ReadState::not_a_regular_file);
}

TEST(BoundedFileTest, AFinalSymlinkIsNotFollowed) {
  TempDir dir;
  write_file(dir / "target", "secret");
  ASSERT_EQ(::symlink((dir / "target").c_str(), (dir / "link").c_str()), 0);
  ASSERT_EQ(::symlink("/nonexistent", (dir / "dangling").c_str()), 0);
  for (const char* name : {"link", "dangling"}) {
    auto r = read_bounded_file(dir / name, 1024);
    EXPECT_EQ(r.state, ReadState::error) << name;
    EXPECT_TRUE(r.content.empty()) << name;
    EXPECT_NE(r.error.find("is a symbolic link; not followed"), std::string::npos) << r.error;
  }
}

TEST(BoundedFileTest, AnUnreadableFileIsPermissionDenied) {
  TempDir dir;
  write_file(dir / "secret", "x");
  ASSERT_EQ(::chmod((dir / "secret").c_str(), 0), 0);
  ASSERT_EQ(::chmod(dir.path().c_str(), 0711), 0);
  FileRead r;
  bool dropped = false;
  {
    AsUnprivilegedUser user;
    dropped = !user.failed();
    if (dropped) r = read_bounded_file(dir / "secret", 10);
  }
  if (!dropped) GTEST_SKIP() << "running as root and cannot drop to an unprivileged uid";
  EXPECT_EQ(r.state, ReadState::permission_denied) << r.error;
  EXPECT_TRUE(r.content.empty());
}

TEST(BoundedFileTest, AFinalSymlinkIsFollowedOnlyWhenAsked) {
  TempDir dir;
  write_file(dir / "target", "named by the owner");
  ASSERT_EQ(::symlink((dir / "target").c_str(), (dir / "link").c_str()), 0);
  EXPECT_EQ(read_bounded_file(dir / "link", 1024).state, ReadState::error);
  auto r = read_bounded_file(dir / "link", 1024, FinalLink::follow);
  EXPECT_EQ(r.state, ReadState::ok) << r.error;
  EXPECT_EQ(r.content, "named by the owner");
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  ASSERT_EQ(::symlink((dir / "fifo").c_str(), (dir / "fifo-link").c_str()), 0);
  EXPECT_EQ(read_bounded_file(dir / "fifo-link", 1024, FinalLink::follow).state,
            ReadState::not_a_regular_file)
      << "a followed link to a FIFO is still refused without blocking";
}

}  // namespace
}  // namespace latchwatch::probes
