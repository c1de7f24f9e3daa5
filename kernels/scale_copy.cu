// CUDA half of scale_copy: the launch shell's kernel for scale_copy_index_op (scale_copy.hpp).
// The float4-vectorised kernel this file had went with the move onto the shell: the scalar
// grid-stride loop is coalesced too; bench/kernels/scale_copy_bench.cpp measures the difference
// (not measured when this changed: no GPU at hand).
#include "kernels/launch/for_each.cuh"
#include "kernels/scale_copy.hpp"

SPECMILL_INSTANTIATE_FOR_EACH(specmill::detail::scale_copy_index_op);
