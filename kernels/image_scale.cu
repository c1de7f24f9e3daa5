// CUDA half of image_scale: the launch shell's kernel for render_element_op (image_scale.hpp).
#include "kernels/image_scale.hpp"
#include "kernels/launch/for_each.cuh"

SPECMILL_INSTANTIATE_FOR_EACH(specmill::detail::render_element_op);
