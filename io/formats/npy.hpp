#pragma once
// Streaming writers for numpy's .npy (one array) and .npz (a ZIP of named .npy members) files,
// to a file or a byte stream (io/formats/byte_output.hpp).
//
// Arrays can be many GB and arrive in blocks, so nothing is held in memory: the shape is given
// up front, the header is written first, then append() streams the elements. .npz members are
// stored uncompressed (like numpy.savez) and use zip64 records where a member or the archive
// passes 4 GiB. Bytes are written in native order, which is little-endian on every machine
// specmill builds for (checked at compile time).
#include <bit>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "io/formats/byte_output.hpp"

namespace specmill {

static_assert(std::endian::native == std::endian::little, "npy writers assume a little-endian host");

// numpy dtypes written: descr strings '<f4' '<f8' '<i2' '<i4' '<i8' '|u1' '<u8' '|b1'
// (one-byte types have no byte order; '|' is what numpy itself writes for them).
enum class npy_dtype { f4, f8, i2, i4, i8, u1, u8, b1 };

std::string_view npy_descr(npy_dtype);
size_t npy_itemsize(npy_dtype);

template <class T>
constexpr npy_dtype npy_dtype_of() {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, bool>) return npy_dtype::b1;
  else if constexpr (std::is_same_v<U, float>) return npy_dtype::f4;
  else if constexpr (std::is_same_v<U, double>) return npy_dtype::f8;
  else if constexpr (std::is_integral_v<U> && std::is_signed_v<U> && sizeof(U) == 2) return npy_dtype::i2;
  else if constexpr (std::is_integral_v<U> && std::is_signed_v<U> && sizeof(U) == 4) return npy_dtype::i4;
  else if constexpr (std::is_integral_v<U> && std::is_signed_v<U> && sizeof(U) == 8) return npy_dtype::i8;
  else if constexpr (std::is_integral_v<U> && std::is_unsigned_v<U> && sizeof(U) == 1) return npy_dtype::u1;
  else if constexpr (std::is_integral_v<U> && std::is_unsigned_v<U> && sizeof(U) == 8) return npy_dtype::u8;
  else static_assert(sizeof(U) == 0, "no npy_dtype for this element type");
}

// Number of elements an array of this shape holds (1 for the 0-d shape {}). Throws
// invalid_argument when the byte size would overflow 64 bits.
uint64_t npy_element_count(npy_dtype, std::span<const uint64_t> shape);

// The complete .npy header (magic, version, length, dict, padding): format 1.0, or 2.0 when the
// dict would not fit a 16-bit length. Its size is a multiple of 64 and it ends in '\n'; C order.
std::string npy_header(npy_dtype, std::span<const uint64_t> shape);
// The same for any dtype descr as Python writes it: "'<f4'" (quoted) or a structured
// "[('flux', '<f4'), ('and_mask', '<i4')]". The caller checks sizes.
std::string npy_header(std::string_view descr, std::span<const uint64_t> shape);

// One .npy file, streamed. The header goes out in the constructor; append() adds elements in
// C order; close() checks that exactly npy_element_count(shape) elements were appended, flushes
// and closes. A writer destroyed without a successful close() leaves no file (byte_output).
// Errors from the OS are io_error naming the path; misuse (too many or too few elements, append
// after close) is invalid_argument.
class npy_writer {
 public:
  npy_writer(output_target target, npy_dtype dtype, std::vector<uint64_t> shape);
  npy_writer(const std::filesystem::path& path, npy_dtype dtype, std::vector<uint64_t> shape)
      : npy_writer(output_target(path), dtype, std::move(shape)) {}
  ~npy_writer();
  npy_writer(npy_writer&&) noexcept;
  npy_writer& operator=(npy_writer&&) noexcept;
  npy_writer(const npy_writer&) = delete;
  npy_writer& operator=(const npy_writer&) = delete;

  void append(const void* data, size_t n_elements);  // data holds n_elements of the dtype
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// A .npz archive: members "name.npy", stored (numpy.load(path)[name] reads one back).
//
// To a file, members sit at offsets fixed when they are declared and each member's CRC-32 goes
// into its local header when it ends. To a stream (an HTTP response, standard output) the
// archive goes out in order: the CRC and sizes follow each member in a data descriptor, and
// data for a member whose turn has not come yet waits in a spool_file. The stream may throw to
// abort.
//
// Members are filled either one at a time (begin_array, append, end_array) or interleaved:
// declare_array() each of them up front (archive order), then append_to() any of them as the
// data arrives (a window of rows at a time, every column). A count mismatch, a duplicate name,
// begin_array while a member is open, or close() with a member unfilled is invalid_argument;
// a writer destroyed without close() leaves no file.
class npz_writer {
 public:
  explicit npz_writer(output_target target);
  explicit npz_writer(const std::filesystem::path& path) : npz_writer(output_target(path)) {}
  explicit npz_writer(byte_stream sink);
  ~npz_writer();
  npz_writer(npz_writer&&) noexcept;
  npz_writer& operator=(npz_writer&&) noexcept;
  npz_writer(const npz_writer&) = delete;
  npz_writer& operator=(const npz_writer&) = delete;

  // `name` without ".npy" (numpy.load shows it without the suffix). shape {} is a 0-d array.
  void begin_array(std::string_view name, npy_dtype dtype, std::vector<uint64_t> shape);
  void append(const void* data, size_t n_elements);
  void end_array();

  // One whole array; shape {} (the default) means 1-D of data.size() elements — write 0-d
  // arrays with begin_array.
  template <class T>
  void write_array(std::string_view name, std::span<const T> data, std::vector<uint64_t> shape = {}) {
    if (shape.empty()) shape.push_back(data.size());
    begin_array(name, npy_dtype_of<T>(), std::move(shape));
    append(data.data(), data.size());
    end_array();
  }

  // Interleaved filling: returns the member's number for append_to().
  size_t declare_array(std::string_view name, npy_dtype dtype, std::vector<uint64_t> shape);
  void append_to(size_t member, const void* data, size_t n_elements);
  // A 1-D structured array of `rows` records of `record_bytes` each, dtype `descr` as
  // npy_header takes it (the caller keeps descr and record_bytes consistent); append_to counts
  // records.
  size_t declare_records(std::string_view name, std::string_view descr, size_t record_bytes, uint64_t rows);

  // Writes the central directory (and the zip64 end records when needed) and closes.
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace specmill
