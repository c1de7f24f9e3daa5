// CUDA half of resample: the launch shell's kernel for resample_index_op (resample.hpp), and the
// device form with edge tables.
//
// On the spot, each target pixel costs some five double exp() (its two edges, the input edges
// it overlaps, 1+z in the rest frame): ncu found the kernel compute-bound (SM 70%, DRAM 12% on an
// H200). The tables the CPU path builds (resample.cpp) hold those edges once per call, computed
// by the same device expressions, so the pixels read them instead (they stay in L1/L2).
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/launch/cuda_check.hpp"
#include "kernels/launch/for_each.cuh"
#include "kernels/resample.hpp"

SPECMILL_INSTANTIATE_FOR_EACH(specmill::detail::resample_index_op);

namespace specmill::detail {
namespace {

// Index i fills one table entry, the tables laid end to end in one allocation: target edges
// [0, n_out], their log10 [0, n_out], the observed lattice edges [0, width], then 1+z per row
// (rest frame only). The expressions are resample_edge_tables' (resample.cpp).
struct edge_table_fill_op {
  resample_pixel_op op;
  double* target;
  double* target_log10;
  double* lattice;
  double* one_plus_z;  // null in the observed frame
  size_t n_target, n_lattice;

  __device__ void operator()(size_t i) const {
    if (i < n_target) {
      target[i] = op.grid.lower_edge_angstrom(op.first + int64_t(i));
      target_log10[i] = op.grid.lower_edge_log10(op.first + int64_t(i));
      return;
    }
    i -= n_target;
    if (i < n_lattice) {
      lattice[i] = op.input_edge(int64_t(i), 0.0, 1.0);
      return;
    }
    i -= n_lattice;
    const double shift = op.in.log10_1pz[i];
    one_plus_z[i] = specmill::detail::finite(shift) ? op.row_one_plus_z(i, shift) : 0.0;
  }
};

// The device's default pool hands freed memory back to the driver at each synchronisation
// unless told to keep some; then every call allocates afresh. Measured on an H200: the call took
// ~48 us more than its two kernels that way (113 us resample, 2 us tables). 64 MiB is kept.
void keep_freed_scratch_in_pool() {
  static const bool kept = [] {
    int device = 0;
    SPECMILL_CUDA_TRY(cudaGetDevice(&device));
    cudaMemPool_t pool = nullptr;
    SPECMILL_CUDA_TRY(cudaDeviceGetDefaultMemPool(&pool, device));
    uint64_t keep = uint64_t(64) << 20;
    SPECMILL_CUDA_TRY(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep));
    return true;
  }();
  (void)kept;
}

// Stream-ordered scratch from that pool: freed on the stream after the kernels that read it,
// also when a launch throws.
class stream_scratch {
 public:
  stream_scratch(size_t bytes, cudaStream_t s) : s_(s) {
    keep_freed_scratch_in_pool();
    SPECMILL_CUDA_TRY(cudaMallocAsync(&p_, bytes, s_));
  }
  ~stream_scratch() { cudaFreeAsync(p_, s_); }
  stream_scratch(const stream_scratch&) = delete;
  stream_scratch& operator=(const stream_scratch&) = delete;
  double* data() const { return static_cast<double*>(p_); }

 private:
  void* p_ = nullptr;
  cudaStream_t s_;
};

}  // namespace

void resample_device_tabled(const resample_pixel_op& untabled, cuda_stream_view stream) {
  const size_t n = untabled.in.n_spectra * size_t(untabled.n_out);
  if (n == 0) return;
  const size_t n_target = size_t(untabled.n_out) + 1, n_lattice = untabled.in.width + 1;
  const size_t n_rows = untabled.in.log10_1pz ? untabled.in.n_spectra : 0;
  stream_scratch tables((2 * n_target + n_lattice + n_rows) * sizeof(double),
                        static_cast<cudaStream_t>(stream.handle()));
  edge_table_fill_op fill{untabled, tables.data(), tables.data() + n_target, tables.data() + 2 * n_target,
                          n_rows ? tables.data() + 2 * n_target + n_lattice : nullptr, n_target, n_lattice};
  for_each_index_cuda(n_target + n_lattice + n_rows, fill, stream);
  resample_pixel_op op = untabled;
  op.target_edges = fill.target;
  op.target_edges_log10 = fill.target_log10;
  op.lattice_edges = fill.lattice;
  op.one_plus_z = fill.one_plus_z;
  for_each_index_cuda(n, resample_index_op{op}, stream);
}

}  // namespace specmill::detail
