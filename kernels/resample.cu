// CUDA half of resample: the launch shell's kernel for resample_index_op (resample.hpp).
#include "kernels/launch/for_each.cuh"
#include "kernels/resample.hpp"

SPECMILL_INSTANTIATE_FOR_EACH(specmill::detail::resample_index_op);
