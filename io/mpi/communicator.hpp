#pragma once
// The MPI world of a batch job (`specmill batch ...`, engine/batch): rank and size, and the few
// collectives the batch commands combine their results with, on bytes and doubles.
//
// mpi.h is a C library's header, and only io/ includes those (docs/architecture.md): it stays
// in communicator_mpi.cpp, compiled when CMake found MPI (SPECMILL_MPI=AUTO|ON). Without MPI
// (SPECMILL_MPI=OFF, or not found) communicator_nompi.cpp is compiled instead: the same class
// as a world of one rank, so the batch commands, their callers and their tests build and run
// everywhere. The plain commands never construct one: `specmill stack` runs without mpirun.
//
// Collectives are called by every rank in the same order (MPI's rule); they run on the thread
// that constructed the communicator (MPI_THREAD_FUNNELED: the engine's TBB and reader threads
// never call MPI).
#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace specmill {

class communicator {
 public:
  // MPI_Init_thread on MPI_COMM_WORLD (once per process: a second live communicator throws
  // invalid_argument); MPI_Finalize in the destructor.
  communicator();
  ~communicator();
  communicator(const communicator&) = delete;
  communicator& operator=(const communicator&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // This rank's index among the ranks on its own node, and how many share the node (a GPU per
  // rank is chosen by it: ranks are spread over nodes, devices are per node).
  int node_rank() const { return node_rank_; }
  int node_size() const { return node_size_; }
  static bool mpi_compiled();  // false: the one-rank build

  // `bytes` from `root` to every rank (resized on the others).
  void broadcast(std::vector<std::byte>& bytes, int root = 0) const;
  // Every rank's bytes at `root`, one entry per rank in rank order; empty elsewhere.
  std::vector<std::vector<std::byte>> gather(std::span<const std::byte> bytes, int root = 0) const;
  // Element-wise sum of every rank's `values` (same length everywhere) at `root`, added in rank
  // order (0 + 1 + 2 ...) so that the result is the same for every run and every MPI library
  // (MPI_Reduce may associate in any order); empty elsewhere.
  std::vector<double> reduce_sum(std::span<const double> values, int root = 0) const;
  // The largest of every rank's value, on every rank (agreeing on a count, a failure flag).
  long long all_max(long long value) const;
  void barrier() const;
  // Ends the whole job from any one rank (MPI_Abort: the launcher kills every other rank, none
  // is left waiting in a collective). The caller logs the reason first.
  [[noreturn]] void abort(int exit_code) const;

  // Typed forms for trivially copyable values.
  template <class T>
  std::vector<std::vector<T>> gather_values(std::span<const T> values, int root = 0) const {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<std::vector<T>> out;
    for (const auto& b : gather(std::as_bytes(values), root)) {
      std::vector<T> v(b.size() / sizeof(T));
      if (!v.empty()) std::memcpy(v.data(), b.data(), v.size() * sizeof(T));
      out.push_back(std::move(v));
    }
    return out;
  }
  template <class T>
  void broadcast_values(std::vector<T>& values, int root = 0) const {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<std::byte> b(values.size() * sizeof(T));
    if (!b.empty()) std::memcpy(b.data(), values.data(), b.size());
    broadcast(b, root);
    values.resize(b.size() / sizeof(T));
    if (!b.empty()) std::memcpy(values.data(), b.data(), b.size());
  }

 private:
  int rank_ = 0, size_ = 1, node_rank_ = 0, node_size_ = 1;
  void* node_comm_ = nullptr;  // MPI_Comm of this node's ranks (communicator_mpi.cpp)
};

// Rank `rank`'s block [first, last) of n things split among `ranks`: the ranks in order cover
// 0..n, block sizes differ by at most one.
inline std::pair<size_t, size_t> rank_block(size_t n, int rank, int ranks) {
  return {n * size_t(rank) / size_t(ranks), n * size_t(rank + 1) / size_t(ranks)};
}

// Text through the byte collectives.
std::vector<std::byte> to_bytes(const std::string& s);
std::string to_string(std::span<const std::byte> b);

}  // namespace specmill
