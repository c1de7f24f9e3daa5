// CUDA half of image_bin: the launch shell's kernel for its three functors (image_bin.hpp).
#include "kernels/image_bin.hpp"
#include "kernels/launch/for_each.cuh"

SPECMILL_INSTANTIATE_FOR_EACH(specmill::image_copy_op);
SPECMILL_INSTANTIATE_FOR_EACH(specmill::image_bin_op);
SPECMILL_INSTANTIATE_FOR_EACH(specmill::image_bin_finish_op);
