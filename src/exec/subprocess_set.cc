// The SubprocessSet loop: one poll over every child's pipes and the signal wake-up pipe,
// deadlines, reaping and draining.
#include "exec/subprocess_set.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <array>
#include <cerrno>
#include <deque>

#include "exec/interrupt_posix.h"
#include "exec/output_collector.h"
#include "exec/spawn_posix.h"

namespace lockstep::exec {
namespace {

using SteadyClock = std::chrono::steady_clock;

// How long output may still be read after the group leader exited and its group was killed.
// Only a process that left the group (setsid) can still hold the pipes then; it is not
// waited for.
constexpr auto kDrainLimit = std::chrono::seconds(1);
// How long poll sleeps at most. SIGCHLD wakes the loop; this only covers a handler replaced
// behind our back, or no free wake-up pipe.
constexpr auto kSafetyWake = std::chrono::seconds(1);
constexpr auto kNoWakePipeWake = std::chrono::milliseconds(50);

constexpr size_t kReadSize = size_t{64} << 10;

struct Child {
  Child(ProcessId id_in, SpawnedProcess spawned, OutputSink& sink_in, const ProcessSpec& spec)
      : id(id_in),
        pid(spawned.pid),
        sink(&sink_in),
        fds{std::move(spawned.stdout_fd), std::move(spawned.stderr_fd)},
        output(spec.max_output_bytes, spec.secrets),
        kill_grace(spec.kill_grace) {}

  ProcessId id;
  int pid;
  OutputSink* sink;
  std::array<UniqueFd, 2> fds;  // stdout, stderr; closed at end of stream
  OutputCollector output;
  ProcessResult result;
  std::chrono::milliseconds kill_grace;
  std::optional<SteadyClock::time_point> terminate_at;  // the timeout: SIGTERM then
  std::optional<SteadyClock::time_point> kill_at;       // SIGKILL then
  bool stopping = false;                                // SIGTERM sent
  bool reaped = false;
  SteadyClock::time_point drain_until;  // once reaped

  bool drained() const { return !fds[0].valid() && !fds[1].valid(); }
};

constexpr Stream kStreams[2] = {Stream::kStdout, Stream::kStderr};

void Deliver(Child& child, std::vector<OutputLine>& lines) {
  for (const OutputLine& line : lines) child.sink->OnLine(line);
  lines.clear();
}

// Sends SIGTERM to the child's group and schedules the SIGKILL.
void Stop(Child& child, SteadyClock::time_point now) {
  child.stopping = true;
  child.terminate_at.reset();
  ::kill(-child.pid, SIGTERM);
  child.kill_at = now + child.kill_grace;
}

}  // namespace

struct SubprocessSet::Impl {
  SignalWatcher signals;
  ProcessId next_id = 1;
  std::vector<std::unique_ptr<Child>> children;  // started, not yet reported
  std::deque<std::unique_ptr<Child>> finished;   // drained, reported one per WaitForEvent
  std::vector<char> buffer = std::vector<char>(kReadSize);
  std::vector<OutputLine> lines;

  Child* Find(ProcessId id) const {
    for (const auto& child : children) {
      if (child->id == id) return child.get();
    }
    return nullptr;
  }
  void FireTimers(SteadyClock::time_point now);
  SteadyClock::time_point NextWake(SteadyClock::time_point now) const;
  void Read(Child& child, int stream);
  void EndStream(Child& child, int stream);
  void Reap(Child& child);
  void CollectFinished();
};

void SubprocessSet::Impl::FireTimers(SteadyClock::time_point now) {
  // By index: a sink may start processes while it is called.
  for (size_t i = 0; i < children.size(); ++i) {
    Child& child = *children[i];
    if (child.reaped) {
      if (!child.drained() && now >= child.drain_until) {
        for (int stream : {0, 1}) EndStream(child, stream);
        child.sink->OnLine({Stream::kNote, Clock::now(),
                            "stopped reading output 1s after the process exited: a process "
                            "that left its process group still holds the output pipes"});
      }
      continue;
    }
    if (child.terminate_at && now >= *child.terminate_at) {
      child.result.timed_out = true;
      Stop(child, now);
    }
    if (child.kill_at && now >= *child.kill_at) {
      ::kill(-child.pid, SIGKILL);
      child.kill_at.reset();
    }
  }
}

SteadyClock::time_point SubprocessSet::Impl::NextWake(SteadyClock::time_point now) const {
  SteadyClock::time_point wake = now + (signals.wake_fd() < 0 ? kNoWakePipeWake : kSafetyWake);
  for (const auto& child : children) {
    if (child->reaped) {
      wake = std::min(wake, child->drain_until);
      continue;
    }
    if (child->terminate_at) wake = std::min(wake, *child->terminate_at);
    if (child->kill_at) wake = std::min(wake, *child->kill_at);
  }
  return wake;
}

void SubprocessSet::Impl::Read(Child& child, int stream) {
  ssize_t size = ::read(child.fds[stream].get(), buffer.data(), buffer.size());
  if (size < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (size <= 0) {
    EndStream(child, stream);
    return;
  }
  child.output.Add(kStreams[stream], std::string_view(buffer.data(), static_cast<size_t>(size)),
                   Clock::now(), lines);
  Deliver(child, lines);
}

void SubprocessSet::Impl::EndStream(Child& child, int stream) {
  if (!child.fds[stream].valid()) return;
  child.fds[stream].Reset();
  child.output.End(kStreams[stream], lines);
  Deliver(child, lines);
}

void SubprocessSet::Impl::Reap(Child& child) {
  // Look without reaping (WNOWAIT): while the exited leader is an unreaped zombie its pid,
  // which is the group id, cannot be reused, so signalling the group is safe. After
  // waitpid it could name an unrelated group.
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(child.pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno == EINTR) return;
    // ECHILD: someone else collected the status (waitpid(-1) elsewhere in the process).
    child.reaped = true;
    child.drain_until = SteadyClock::now() + kDrainLimit;
    child.sink->OnLine({Stream::kNote, Clock::now(),
                        "the exit status of the process was collected elsewhere; it is unknown"});
    return;
  }
  if (info.si_pid == 0) return;  // still running
  // Whatever the leader left running in its group (a daemon it forked) dies with it.
  ::kill(-child.pid, SIGKILL);
  int status = 0;
  while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) child.result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) child.result.term_signal = WTERMSIG(status);
  child.reaped = true;
  child.kill_at.reset();
  child.drain_until = SteadyClock::now() + kDrainLimit;
}

void SubprocessSet::Impl::CollectFinished() {
  for (size_t i = 0; i < children.size();) {
    Child& child = *children[i];
    if (!child.reaped || !child.drained()) {
      ++i;
      continue;
    }
    Clock::time_point now = Clock::now();
    if (std::optional<OutputLine> note = child.output.TruncationNote(now))
      child.sink->OnLine(*note);
    child.result.output_bytes = child.output.output_bytes();
    child.result.dropped_bytes = child.output.dropped_bytes();
    child.result.finished = now;
    finished.push_back(std::move(children[i]));
    children.erase(children.begin() + static_cast<ptrdiff_t>(i));
  }
}

SubprocessSet::SubprocessSet() : impl_(std::make_unique<Impl>()) {}

SubprocessSet::~SubprocessSet() {
  for (const auto& child : impl_->children) {
    if (child->reaped) continue;
    ::kill(-child->pid, SIGKILL);
    while (::waitpid(child->pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

Result<ProcessId> SubprocessSet::Start(const ProcessSpec& spec, OutputSink& sink) {
  Clock::time_point started = Clock::now();
  Result<SpawnedProcess> spawned = SpawnProcess(spec);
  if (!spawned) return std::unexpected(spawned.error());
  auto child = std::make_unique<Child>(impl_->next_id++, std::move(*spawned), sink, spec);
  child->result.started = started;
  child->result.timeout = spec.timeout;
  if (spec.timeout > std::chrono::milliseconds::zero()) {
    child->terminate_at = SteadyClock::now() + spec.timeout;
  }
  ProcessId id = child->id;
  impl_->children.push_back(std::move(child));
  return id;
}

int SubprocessSet::ProcessGroup(ProcessId id) const {
  if (const Child* child = impl_->Find(id)) return child->pid;
  for (const auto& child : impl_->finished) {
    if (child->id == id) return child->pid;
  }
  return 0;
}

// Interrupts are reported once each (edge-triggered), so that after one the caller can
// CancelAll and keep calling WaitForEvent to collect the stopped processes.
std::optional<ProcessFinished> SubprocessSet::WaitForEvent(
    std::optional<SteadyClock::time_point> deadline) {
  Impl& impl = *impl_;
  std::vector<pollfd> polled;
  std::vector<std::pair<Child*, int>> owners;  // parallel to polled, after the wake-up pipe
  for (;;) {
    if (impl.signals.TakeInterrupt()) return std::nullopt;
    impl.CollectFinished();
    if (!impl.finished.empty()) {
      std::unique_ptr<Child> child = std::move(impl.finished.front());
      impl.finished.pop_front();
      return ProcessFinished{child->id, std::move(child->result)};
    }
    // With nothing to wait for, return at once, unless asked to wait until a deadline (a
    // run waiting for its turn): then sleep on the wake-up pipe, so a signal still ends it.
    if (impl.children.empty() && !deadline) return std::nullopt;

    SteadyClock::time_point now = SteadyClock::now();
    impl.FireTimers(now);
    if (deadline && now >= *deadline) {
      impl.CollectFinished();
      if (impl.finished.empty()) return std::nullopt;
      continue;
    }
    SteadyClock::time_point wake = impl.NextWake(now);
    if (deadline) wake = std::min(wake, *deadline);

    polled.clear();
    owners.clear();
    polled.push_back({impl.signals.wake_fd(), POLLIN, 0});
    for (const auto& child : impl.children) {
      for (int stream : {0, 1}) {
        if (!child->fds[stream].valid()) continue;
        polled.push_back({child->fds[stream].get(), POLLIN, 0});
        owners.emplace_back(child.get(), stream);
      }
    }
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - now);
    int ready =
        ::poll(polled.data(), polled.size(), static_cast<int>(std::max<int64_t>(0, wait.count())));
    if (ready < 0 && errno != EINTR) return std::nullopt;
    impl.signals.Drain();
    // Output first, then exits, so that what a process wrote before it exited is read
    // before its group is killed.
    for (size_t i = 1; ready > 0 && i < polled.size(); ++i) {
      if (polled[i].revents != 0) impl.Read(*owners[i - 1].first, owners[i - 1].second);
    }
    for (size_t i = 0; i < impl.children.size(); ++i) {
      if (!impl.children[i]->reaped) impl.Reap(*impl.children[i]);
    }
  }
}

void SubprocessSet::Cancel(ProcessId id) {
  Child* child = impl_->Find(id);
  if (child == nullptr || child->reaped || child->stopping) return;
  child->result.cancelled = true;
  Stop(*child, SteadyClock::now());
}

void SubprocessSet::CancelAll() {
  for (size_t i = 0; i < impl_->children.size(); ++i) Cancel(impl_->children[i]->id);
}

bool SubprocessSet::interrupted() const { return impl_->signals.interrupted(); }

int SubprocessSet::interrupt_signal() const { return impl_->signals.interrupt_signal(); }

size_t SubprocessSet::running() const { return impl_->children.size() + impl_->finished.size(); }

}  // namespace lockstep::exec
