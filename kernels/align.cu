// CUDA half of align: the launch shell's kernel for align_element_op (align.hpp).
#include "kernels/align.hpp"
#include "kernels/launch/for_each.cuh"

SPECMILL_INSTANTIATE_FOR_EACH(specmill::detail::align_element_op);
