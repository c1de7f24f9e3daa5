#include "engine/ingest/mapped_copy.hpp"

#include <atomic>
#include <csetjmp>
#include <csignal>
#include <mutex>

#include "engine/ingest/file_digest.hpp"

namespace specmill {
namespace {

// The copy in progress on this thread, if any: where its SIGBUS returns to.
thread_local sigjmp_buf* active_copy = nullptr;
struct sigaction previous_bus {};

void on_sigbus(int sig, siginfo_t* info, void*) {
  if (active_copy != nullptr) siglongjmp(*active_copy, 1);
  // Not a copy's: the previous disposition takes it. A fault raises again when the access is
  // retried on return; a signal sent by kill() is raised again here.
  sigaction(SIGBUS, &previous_bus, nullptr);
  if (info == nullptr || info->si_code <= 0) raise(sig);
}

void install_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction act {};
    act.sa_sigaction = on_sigbus;
    act.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&act.sa_mask);
    sigaction(SIGBUS, &act, &previous_bus);
  });
}

}  // namespace

std::optional<uint64_t> copy_mapped_digest(const unsigned char* mapped, size_t n, unsigned char* to) {
  install_handler();
  sigjmp_buf here;
  // savemask 1: the handler runs with SIGBUS blocked, and siglongjmp must unblock it again.
  if (sigsetjmp(here, 1) != 0) {
    active_copy = nullptr;
    return std::nullopt;
  }
  active_copy = &here;
  std::atomic_signal_fence(std::memory_order_seq_cst);  // armed before the first load
  const uint64_t digest = copy_digest(mapped, n, to);
  std::atomic_signal_fence(std::memory_order_seq_cst);  // disarmed after the last
  active_copy = nullptr;
  return digest;
}

}  // namespace specmill
