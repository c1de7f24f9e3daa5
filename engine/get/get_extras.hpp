#pragma once
// get's DESI extras (engine/get/get.hpp, get_options::camera and with_resolution): the arrays a
// store ingested with --with-cameras / --with-resolution keeps in its blocks' group `extra`.
//   --camera X        dense layout over the camera's own pixels, in request order: flux, ivar
//                     (float32) and mask (int32, the file's 32 bits) [n, pixels], wavelength (the
//                     file's float64 array) and loglam, specobjid, found; IDs without pixels are
//                     rows of zeros. Every format of the dense layout.
//   --with-resolution member `resolution` [n, 11, pixels] (float32) beside the stored form's
//                     arrays (or the camera's, with --camera), zeros for IDs without pixels. npz.
#include <vector>

#include "engine/get/get.hpp"
#include "engine/pipeline/progress.hpp"
#include "engine/store/store.hpp"

namespace specmill {

// Checks a camera / resolution request against the options and against every block the found
// IDs lie in (invalid_argument naming the ingest option when a block lacks the arrays, or when
// their shapes differ between the IDs); the plan of what will be written.
extras_plan check_extras(const get_options& opts, store& st, const resolved_list& ids);

// --camera (with or without --with-resolution).
void write_camera(const get_options& opts, const extras_plan& plan, store& st, const resolved_list& ids,
                  progress_meter& meter);

// The brz resolution of items [first, last) of the list into dst ([last-first][diagonals][width]).
void read_resolution_rows(store& st, const resolved_list& ids, const extras_plan& plan, size_t first,
                          size_t last, float* dst);

}  // namespace specmill
