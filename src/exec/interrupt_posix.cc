#include "exec/interrupt_posix.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>

namespace lockstep::exec {
namespace {

constexpr int kSlots = 64;
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGCHLD};

// The self-pipe trick: a handler may not do much, but it may write(2). Pipes are created on
// first use and never closed, so that a handler running on another thread while a watcher is
// destroyed can never write into a descriptor that has meanwhile been reused for a file.
struct WakePipe {
  std::atomic<int> read_fd{-1};
  std::atomic<int> write_fd{-1};
  bool in_use = false;  // guarded by g_mutex
};
WakePipe g_pipes[kSlots];

static_assert(std::atomic<int>::is_always_lock_free);
static_assert(std::atomic<uint64_t>::is_always_lock_free);
std::atomic<uint64_t> g_interrupts{0};
std::atomic<int> g_last_signal{0};

std::mutex g_mutex;
int g_watchers = 0;              // guarded by g_mutex
struct sigaction g_previous[4];  // guarded by g_mutex

void OnSignal(int signal) {
  int saved_errno = errno;
  if (signal != SIGCHLD) {
    g_last_signal.store(signal);
    g_interrupts.fetch_add(1);
  }
  // Every wake-up pipe, in use or not: a stray byte in an idle pipe is drained by its next
  // user, and this way the handler needs no lock.
  for (WakePipe& pipe : g_pipes) {
    int fd = pipe.write_fd.load(std::memory_order_acquire);
    if (fd < 0) break;  // slots are created in order
    char byte = 0;
    // A full pipe already wakes its reader; nothing to do when the write fails.
    [[maybe_unused]] ssize_t ignored = ::write(fd, &byte, 1);
  }
  errno = saved_errno;
}

void InstallHandlers() {
  for (int i = 0; i < 4; ++i) {
    struct sigaction action {};
    action.sa_handler = OnSignal;
    sigemptyset(&action.sa_mask);
    // No SA_RESTART for the interrupting signals: a blocking call elsewhere returns EINTR and
    // can notice the interrupt. SIGCHLD arrives with every finished child and should not
    // disturb other threads' calls, so those restart; it only has to wake our poll, which
    // the pipe does.
    action.sa_flags = kSignals[i] == SIGCHLD ? SA_RESTART | SA_NOCLDSTOP : 0;
    ::sigaction(kSignals[i], &action, &g_previous[i]);
  }
}

void RestoreHandlers() {
  for (int i = 0; i < 4; ++i) ::sigaction(kSignals[i], &g_previous[i], nullptr);
}

}  // namespace

SignalWatcher::SignalWatcher() {
  std::lock_guard<std::mutex> lock(g_mutex);
  for (int i = 0; i < kSlots; ++i) {
    WakePipe& pipe = g_pipes[i];
    if (pipe.in_use) continue;
    if (pipe.read_fd.load() < 0) {
      int fds[2];
      if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) break;
      pipe.read_fd.store(fds[0]);
      pipe.write_fd.store(fds[1], std::memory_order_release);
    }
    pipe.in_use = true;
    slot_ = i;
    wake_fd_ = pipe.read_fd.load();
    break;
  }
  if (g_watchers++ == 0) InstallHandlers();
  interrupts_at_start_ = interrupts_seen_ = g_interrupts.load();
  Drain();
}

SignalWatcher::~SignalWatcher() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (slot_ >= 0) g_pipes[slot_].in_use = false;
  if (--g_watchers == 0) RestoreHandlers();
}

void SignalWatcher::Drain() {
  if (wake_fd_ < 0) return;
  char buffer[256];
  while (::read(wake_fd_, buffer, sizeof buffer) > 0) {
  }
}

bool SignalWatcher::interrupted() const { return g_interrupts.load() > interrupts_at_start_; }

int SignalWatcher::interrupt_signal() const { return interrupted() ? g_last_signal.load() : 0; }

bool SignalWatcher::TakeInterrupt() {
  uint64_t now = g_interrupts.load();
  if (now == interrupts_seen_) return false;
  interrupts_seen_ = now;
  return true;
}

}  // namespace lockstep::exec
