// CUDA half of scale_copy: the launch shell's kernel for the float4 op and for the scalar op that
// takes the tail and misaligned arrays (scale_copy.hpp; scale_copy.cpp picks between them).
#include "kernels/launch/for_each.cuh"
#include "kernels/scale_copy.hpp"

SPECMILL_INSTANTIATE_FOR_EACH(specmill::detail::scale_copy4_index_op);
SPECMILL_INSTANTIATE_FOR_EACH(specmill::detail::scale_copy_index_op);
