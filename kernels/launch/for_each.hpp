#pragma once
// The one element-wise launch shell (STYLE.md rule 1): an operation is a functor with
// `SPECMILL_HOST_DEVICE void operator()(size_t i) const` and one call,
//
//   for_each_index(b, n, my_op{...}, stream);
//
// backend::cpu runs op(0..n) under tbb::parallel_for on host memory; backend::cuda runs it in
// the one grid-stride kernel of kernels/launch/for_each.cuh, queued on `stream`, on DEVICE
// memory. The CUDA half of an op exists only where a .cu file instantiates it
// (SPECMILL_INSTANTIATE_FOR_EACH(my_op) after including for_each.cuh); g++ code calls it through
// the declaration below. Without CUDA compiled in, that declaration is a definition that throws
// cuda_error("CUDA support not compiled into this build") from throw_cuda_not_compiled(), so an
// op needs no `_nocuda` stand-in of its own.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cstddef>

#include "kernels/launch/backend.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {
namespace detail {

#if defined(SPECMILL_WITH_CUDA)
// Defined in for_each.cuh; instantiated per op in that op's .cu file.
template <class Op>
void for_each_index_cuda(size_t n, const Op& op, cuda_stream_view stream);
#else
template <class Op>
void for_each_index_cuda(size_t, const Op&, cuda_stream_view) {
  throw_cuda_not_compiled();
}
#endif

}  // namespace detail

// op(i) for i in [0, n) on TBB threads; `grain` indices at least per task (cheap ops want
// thousands, so that scheduling does not cost more than the work).
template <class Op>
void for_each_index_host(size_t n, const Op& op, size_t grain = 1) {
  if (n == 0) return;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, grain ? grain : 1), [&op](const tbb::blocked_range<size_t>& r) {
    for (size_t i = r.begin(); i != r.end(); ++i) op(i);
  });
}

// op(i) for i in [0, n) on backend b. cpu: returns when done (stream unused). cuda: queued on
// `stream` and returns at once (the default stream orders it with synchronous copies); throws
// cuda_error without CUDA compiled in, whatever n is.
template <class Op>
void for_each_index(backend b, size_t n, const Op& op, cuda_stream_view stream = {}, size_t grain = 1) {
  if (b == backend::cuda)
    detail::for_each_index_cuda(n, op, stream);
  else
    for_each_index_host(n, op, grain);
}

}  // namespace specmill
