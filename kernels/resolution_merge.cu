// CUDA half of resolution_merge: the launch shell's kernel for resolution_merge_op.
#include "kernels/resolution_merge.hpp"
#include "kernels/launch/for_each.cuh"

SPECMILL_INSTANTIATE_FOR_EACH(specmill::resolution_merge_op);
