// CUDA half of camera_merge: the launch shell's kernel for camera_merge_op (camera_merge.hpp).
#include "kernels/camera_merge.hpp"
#include "kernels/launch/for_each.cuh"

SPECMILL_INSTANTIATE_FOR_EACH(specmill::camera_merge_op);
