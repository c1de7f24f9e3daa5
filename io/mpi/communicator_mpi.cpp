// The communicator over MPI (compiled when CMake found MPI): the one file that includes mpi.h.
// Payloads travel in pieces of at most 1 GiB, since MPI counts are int.
#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>

#include "core/error.hpp"
#include "io/mpi/communicator.hpp"

namespace specmill {
namespace {

std::atomic<bool> live{false};
constexpr size_t piece = size_t(1) << 30;

MPI_Comm node_of(void* p) { return static_cast<MPI_Comm>(p); }

void send_bytes(const std::byte* p, size_t n, int to) {
  for (size_t at = 0; at < n; at += piece)
    MPI_Send(p + at, int(std::min(piece, n - at)), MPI_BYTE, to, 0, MPI_COMM_WORLD);
}

void recv_bytes(std::byte* p, size_t n, int from) {
  for (size_t at = 0; at < n; at += piece)
    MPI_Recv(p + at, int(std::min(piece, n - at)), MPI_BYTE, from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}

}  // namespace

bool communicator::mpi_compiled() { return true; }

communicator::communicator() {
  SPECMILL_EXPECTS(!live.exchange(true), "a batch job's communicator is made once per process");
  int initialized = 0, finalized = 0;
  MPI_Finalized(&finalized);
  SPECMILL_EXPECTS(!finalized, "MPI cannot start again in a process that finalized it (one batch job per process)");
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    // Only this thread calls MPI; the engine's TBB and reader threads never do.
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm node = MPI_COMM_NULL;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &node_rank_);
  MPI_Comm_size(node, &node_size_);
  node_comm_ = node;
}

communicator::~communicator() {
  MPI_Comm node = node_of(node_comm_);
  if (node != MPI_COMM_NULL) MPI_Comm_free(&node);
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
  live = false;
}

void communicator::broadcast(std::vector<std::byte>& bytes, int root) const {
  uint64_t n = bytes.size();
  MPI_Bcast(&n, 1, MPI_UINT64_T, root, MPI_COMM_WORLD);
  bytes.resize(size_t(n));
  for (size_t at = 0; at < n; at += piece)
    MPI_Bcast(bytes.data() + at, int(std::min<size_t>(piece, n - at)), MPI_BYTE, root, MPI_COMM_WORLD);
}

std::vector<std::vector<std::byte>> communicator::gather(std::span<const std::byte> bytes, int root) const {
  uint64_t n = bytes.size();
  std::vector<uint64_t> sizes(rank_ == root ? size_t(size_) : 0);
  MPI_Gather(&n, 1, MPI_UINT64_T, sizes.data(), 1, MPI_UINT64_T, root, MPI_COMM_WORLD);
  std::vector<std::vector<std::byte>> out;
  if (rank_ != root) {
    send_bytes(bytes.data(), bytes.size(), root);
    return out;
  }
  out.resize(size_t(size_));
  for (int r = 0; r < size_; ++r) {  // in rank order: what arrives is placed, never summed
    out[size_t(r)].resize(size_t(sizes[size_t(r)]));
    if (r == root)
      std::copy(bytes.begin(), bytes.end(), out[size_t(r)].begin());
    else
      recv_bytes(out[size_t(r)].data(), out[size_t(r)].size(), r);
  }
  return out;
}

std::vector<double> communicator::reduce_sum(std::span<const double> values, int root) const {
  const auto parts = gather_values(values, root);
  if (rank_ != root) return {};
  std::vector<double> sum(values.size(), 0.0);
  for (const auto& p : parts) {
    SPECMILL_EXPECTS(p.size() == sum.size(), "reduce_sum: ranks passed arrays of different lengths");
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += p[i];
  }
  return sum;
}

long long communicator::all_max(long long value) const {
  long long out = value;
  MPI_Allreduce(&value, &out, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
  return out;
}

void communicator::barrier() const { MPI_Barrier(MPI_COMM_WORLD); }

void communicator::abort(int exit_code) const {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);  // MPI_Abort does not return; this is for the compiler
}

}  // namespace specmill
