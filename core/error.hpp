#pragma once
// specmill's one error hierarchy. Fronts map exception *types* (never message text) to exit
// codes and HTTP statuses; batch code catches data_error/io_error per item and goes on.
#include <stdexcept>
#include <string>

namespace specmill {

struct error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The caller asked for something malformed (bad range, bad ID syntax, bad option).
struct invalid_argument : error {
  using error::error;
};
// A request that is well formed but ran past its time limit (a query whose SQL constraint
// takes too long). A kind of invalid_argument, so fronts that know no better treat it as the
// caller's problem (CLI exit 2); the REST front can map it to its own status by type.
struct time_limit_exceeded : invalid_argument {
  using invalid_argument::invalid_argument;
};
// A well-formed request for something that is not there (unknown ID, missing store).
struct not_found : error {
  using error::error;
};
// The operating system or a storage library failed (open, read, write, rename).
struct io_error : error {
  using error::error;
};
// CFITSIO reported `status`; message carries CFITSIO's text and the file.
struct fits_error : io_error {
  fits_error(const std::string& what, int status) : io_error(what), status(status) {}
  int status;
};
struct hdf5_error : io_error {
  using io_error::io_error;
};
struct sqlite_error : io_error {
  sqlite_error(const std::string& what, int code) : io_error(what), code(code) {}
  int code;
};
// The bytes were read but do not make a valid SDSS spectrum / store (missing column, NaN
// wavelengths, off-lattice pixels, inconsistent IDs).
struct data_error : error {
  using error::error;
};
// A CUDA runtime call failed, or CUDA support is not compiled into this build.
struct cuda_error : error {
  using error::error;
};

namespace detail {
[[noreturn]] void throw_at(const char* file, int line, const std::string& msg, int kind);
}  // namespace detail
}  // namespace specmill

// kind: 0 invalid_argument, 1 data_error, 2 io_error, 3 not_found
#define SPECMILL_EXPECTS(cond, msg)                                                  \
  do {                                                                               \
    if (!(cond)) ::specmill::detail::throw_at(__FILE__, __LINE__, (msg), 0);         \
  } while (0)
#define SPECMILL_DATA_CHECK(cond, msg)                                               \
  do {                                                                               \
    if (!(cond)) ::specmill::detail::throw_at(__FILE__, __LINE__, (msg), 1);         \
  } while (0)
#define SPECMILL_FAIL_IO(msg) ::specmill::detail::throw_at(__FILE__, __LINE__, (msg), 2)
