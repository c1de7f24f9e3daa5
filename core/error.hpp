#pragma once
// specmill's one error hierarchy, in the manner of libcudf's error.hpp. Fronts map exception
// *types* (never message text) to exit codes and HTTP statuses; batch code catches
// data_error/io_error per item and goes on.
//
//   SPECMILL_EXPECTS(lo <= hi, "range is empty");                     // invalid_argument
//   SPECMILL_EXPECTS(row < n, "row beyond the block", data_error);    // any specmill::error type
//   SPECMILL_FAIL("no such filter " + name, not_found);
//
// what() is the message alone, for people: a CLI error line, a REST reply. The macros keep the
// source file and line apart, in where(), for the log only (log_text()): a location names our
// code, not the caller's problem, and a reply must not leak it.
// No CUDA header here: cuda_error keeps the cudaError_t as an int; kernels/launch/cuda_check.hpp
// has the typed accessor and SPECMILL_CUDA_TRY.
#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace specmill {

// Where a SPECMILL_ macro threw. `file` is __FILE__ (static storage, so copying an exception
// stays noexcept); error keeps only its base name.
struct source_location {
  const char* file = nullptr;
  int line = 0;
};

class error : public std::runtime_error {
 public:
  explicit error(const std::string& what, source_location where = {});
  // "stack.cpp:157" for an error thrown by a SPECMILL_ macro, "" otherwise. For logs.
  std::string where() const;
  const source_location& location() const noexcept { return where_; }

 private:
  source_location where_;
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
  fits_error(const std::string& what, int status, source_location where = {})
      : io_error(what, where), status(status) {}
  int status;
};
struct hdf5_error : io_error {
  using io_error::io_error;
};
struct sqlite_error : io_error {
  sqlite_error(const std::string& what, int code, source_location where = {})
      : io_error(what, where), code(code) {}
  int code;
};
// The bytes were read but do not make a valid SDSS spectrum / store (missing column, NaN
// wavelengths, off-lattice pixels, inconsistent IDs). Reached from a service's own store, it
// is a fault of the service's data (REST 500), not of the request.
struct data_error : error {
  using error::error;
};
// Every spectrum a request named was dropped by a data rule (no usable redshift, nothing left
// after normalisation): nothing is broken, the request just cannot be answered from those
// spectra. A data_error, so the CLI's batch handling is unchanged; the REST front answers it
// as the request's problem (400) while other data_errors are the store's (500).
struct no_usable_data : data_error {
  using data_error::data_error;
};
// A CUDA runtime call failed, or CUDA support is not compiled into this build.
class cuda_error : public error {
 public:
  explicit cuda_error(const std::string& what, int code = 0, source_location where = {})
      : error(what, where), code_(code) {}
  cuda_error(const std::string& what, source_location where) : cuda_error(what, 0, where) {}
  // The cudaError_t of the failed call (cuda_status() in kernels/launch/cuda_check.hpp gives it
  // typed); 0 (cudaSuccess) when no runtime call failed (no CUDA in the build, no device).
  int code() const noexcept { return code_; }

 private:
  int code_;
};

// what(), and the source location when there is one: "msg [stack.cpp:157]". For the log only.
std::string log_text(const std::exception& e);

namespace detail {
template <class E>
[[noreturn]] void throw_located(const char* file, int line, const std::string& msg) {
  static_assert(std::is_base_of_v<::specmill::error, E>,
                "SPECMILL_EXPECTS/SPECMILL_FAIL throw a specmill::error type (core/error.hpp)");
  throw E(msg, ::specmill::source_location{file, line});
}
}  // namespace detail
}  // namespace specmill

// SPECMILL_EXPECTS(cond, msg[, exception_type]): throws exception_type (invalid_argument when
// omitted) with msg when cond is false. msg is evaluated only then.
#define SPECMILL_EXPECTS(...) \
  SPECMILL_ERROR_PICK_(__VA_ARGS__, SPECMILL_EXPECTS_3_, SPECMILL_EXPECTS_2_, )(__VA_ARGS__)
#define SPECMILL_EXPECTS_3_(cond, msg, exception_type)                                        \
  do {                                                                                        \
    if (!(cond)) ::specmill::detail::throw_located<exception_type>(__FILE__, __LINE__, (msg)); \
  } while (0)
#define SPECMILL_EXPECTS_2_(cond, msg) SPECMILL_EXPECTS_3_(cond, msg, ::specmill::invalid_argument)

// SPECMILL_FAIL(msg[, exception_type]): throws unconditionally (invalid_argument when omitted).
#define SPECMILL_FAIL(...) SPECMILL_FAIL_PICK_(__VA_ARGS__, SPECMILL_FAIL_2_, SPECMILL_FAIL_1_, )(__VA_ARGS__)
#define SPECMILL_FAIL_2_(msg, exception_type) \
  ::specmill::detail::throw_located<exception_type>(__FILE__, __LINE__, (msg))
#define SPECMILL_FAIL_1_(msg) SPECMILL_FAIL_2_(msg, ::specmill::invalid_argument)

// Pick the macro by argument count (the libcudf GET_CUDF_EXPECTS_MACRO idiom).
#define SPECMILL_ERROR_PICK_(_1, _2, _3, name, ...) name
#define SPECMILL_FAIL_PICK_(_1, _2, name, ...) name

// Shorthands older call sites use.
#define SPECMILL_DATA_CHECK(cond, msg) SPECMILL_EXPECTS(cond, msg, ::specmill::data_error)
#define SPECMILL_FAIL_IO(msg) SPECMILL_FAIL(msg, ::specmill::io_error)
