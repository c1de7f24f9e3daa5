#include "io/formats/npy.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <system_error>
#include <utility>

#include "core/error.hpp"

namespace specmill {
namespace {

namespace fs = std::filesystem;

// ------------------------------------------------------------------ buffered output
// Bytes go to a file descriptor (seekable: already-written bytes can be patched) or to a sink
// function, through one large buffer; writes at least as large as the buffer bypass it.
class byte_output {
 public:
  static constexpr size_t buffer_bytes = 8u << 20;

  explicit byte_output(const fs::path& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("cannot create");
    buf_.resize(buffer_bytes);
  }
  explicit byte_output(std::function<void(const char*, size_t)> sink) : sink_(std::move(sink)) {
    SPECMILL_EXPECTS(static_cast<bool>(sink_), "npz_writer needs a sink function");
    buf_.resize(buffer_bytes);
  }
  ~byte_output() {
    if (fd_ >= 0) ::close(fd_);
  }
  byte_output(const byte_output&) = delete;
  byte_output& operator=(const byte_output&) = delete;

  bool seekable() const { return fd_ >= 0; }
  const fs::path& path() const { return path_; }
  uint64_t position() const { return flushed_ + used_; }

  void write(const void* data, size_t n) {
    if (n == 0) return;  // an empty array's data() may be null, and memcpy(.., nullptr, 0) is UB
    const char* p = static_cast<const char*>(data);
    if (used_ + n > buf_.size()) flush();
    if (n >= buf_.size()) {
      emit(p, n);
      return;
    }
    std::memcpy(buf_.data() + used_, p, n);
    used_ += n;
  }

  // Overwrite bytes already written at `offset` (file output only).
  void patch(uint64_t offset, const void* data, size_t n) {
    if (n == 0) return;
    if (offset >= flushed_) {
      std::memcpy(buf_.data() + (offset - flushed_), data, n);  // still in the buffer
      return;
    }
    flush();
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t w = ::pwrite(fd_, p, n, static_cast<off_t>(offset));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) fail("cannot write");
      p += w, n -= size_t(w), offset += uint64_t(w);
    }
  }

  void flush() {
    if (used_ == 0) return;
    const size_t n = std::exchange(used_, 0);
    emit(buf_.data(), n);
  }

  void close() {
    flush();
    if (fd_ >= 0) {
      const int fd = std::exchange(fd_, -1);
      if (::close(fd) != 0) fail("cannot close");
    }
  }

 private:
  void emit(const char* p, size_t n) {
    flushed_ += n;
    if (!seekable()) {
      sink_(p, n);
      return;
    }
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) fail("cannot write");
      p += w, n -= size_t(w);
    }
  }

  [[noreturn]] void fail(const char* what) const {
    const int err = errno;
    throw io_error(std::string(what) + " " + path_.string() + ": " + std::strerror(err));
  }

  fs::path path_;
  int fd_ = -1;
  std::function<void(const char*, size_t)> sink_;
  std::vector<char> buf_;
  size_t used_ = 0;
  uint64_t flushed_ = 0;
};

// Removes a file output that was never closed successfully (an exception mid-stream), so a
// half-written array is never mistaken for a whole one.
void discard_unfinished(std::unique_ptr<byte_output>& out, bool closed) {
  if (!out || closed) return;
  const fs::path path = out->path();
  const bool file = out->seekable();
  out.reset();
  std::error_code ec;
  if (file) fs::remove(path, ec);
}

// Counts elements against the shape as they are appended.
struct element_budget {
  npy_dtype dtype{};
  uint64_t expected = 0;
  uint64_t written = 0;

  size_t take(size_t n_elements, const char* who) {
    SPECMILL_EXPECTS(n_elements <= expected - written,
                     std::string(who) + ": appending " + std::to_string(n_elements) +
                         " elements overruns the shape (" + std::to_string(expected - written) +
                         " left)");
    written += n_elements;
    return n_elements * npy_itemsize(dtype);
  }
  void check_complete(const char* who) const {
    SPECMILL_EXPECTS(written == expected, std::string(who) + ": " + std::to_string(written) +
                                              " elements written, the shape holds " +
                                              std::to_string(expected));
  }
};

// ------------------------------------------------------------------ ZIP records
constexpr uint32_t u32_max = 0xFFFFFFFFu;
constexpr uint16_t zip_version_plain = 20;  // 2.0: stored members, data descriptors
constexpr uint16_t zip_version_zip64 = 45;  // 4.5: zip64 records
constexpr uint16_t flag_data_descriptor = 1u << 3;
constexpr uint16_t flag_utf8_name = 1u << 11;
// A fixed timestamp (1980-01-01 00:00, the DOS epoch) keeps archives byte-reproducible.
constexpr uint16_t dos_time = 0, dos_date = (0 << 9) | (1 << 5) | 1;

void put16(std::string& s, uint16_t v) {
  s.push_back(char(v & 0xFF));
  s.push_back(char(v >> 8));
}
void put32(std::string& s, uint32_t v) {
  put16(s, uint16_t(v & 0xFFFF));
  put16(s, uint16_t(v >> 16));
}
void put64(std::string& s, uint64_t v) {
  put32(s, uint32_t(v & u32_max));
  put32(s, uint32_t(v >> 32));
}

struct zip_member {
  std::string name;          // "x.npy"
  uint64_t size = 0;         // stored: compressed size == uncompressed size
  uint64_t offset = 0;       // of the local header
  uint32_t crc = 0;
  uint16_t flags = 0;
  bool zip64 = false;        // sizes need 64 bits (decided at begin: the size is known up front)
};

uint64_t crc_update(uint64_t crc, const void* data, size_t n) {
  if (n == 0) return crc;  // zlib treats a null buffer as "start again", which data() can be
  return crc32_z(static_cast<uLong>(crc), static_cast<const Bytef*>(data), n);
}

}  // namespace

// ------------------------------------------------------------------ dtypes and headers
std::string_view npy_descr(npy_dtype t) {
  switch (t) {
    case npy_dtype::f4: return "<f4";
    case npy_dtype::f8: return "<f8";
    case npy_dtype::i2: return "<i2";
    case npy_dtype::i4: return "<i4";
    case npy_dtype::i8: return "<i8";
    case npy_dtype::u1: return "|u1";
    case npy_dtype::u8: return "<u8";
    case npy_dtype::b1: return "|b1";
  }
  throw invalid_argument("unknown npy_dtype");
}

size_t npy_itemsize(npy_dtype t) {
  switch (t) {
    case npy_dtype::u1:
    case npy_dtype::b1: return 1;
    case npy_dtype::i2: return 2;
    case npy_dtype::f4:
    case npy_dtype::i4: return 4;
    case npy_dtype::f8:
    case npy_dtype::i8:
    case npy_dtype::u8: return 8;
  }
  throw invalid_argument("unknown npy_dtype");
}

uint64_t npy_element_count(npy_dtype t, std::span<const uint64_t> shape) {
  uint64_t count = 1, bytes = 0;
  for (uint64_t d : shape)
    SPECMILL_EXPECTS(!__builtin_mul_overflow(count, d, &count), "npy shape overflows 64 bits");
  SPECMILL_EXPECTS(!__builtin_mul_overflow(count, uint64_t(npy_itemsize(t)), &bytes),
                   "npy array size overflows 64 bits");
  return count;
}

std::string npy_header(npy_dtype t, std::span<const uint64_t> shape) {
  npy_element_count(t, shape);  // validates
  return npy_header("'" + std::string(npy_descr(t)) + "'", shape);
}

std::string npy_header(std::string_view descr, std::span<const uint64_t> shape) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) dims += ", ";
    dims += std::to_string(shape[i]);
  }
  if (shape.size() == 1) dims += ',';  // Python's 1-tuple
  std::string dict = "{'descr': ";
  dict += descr;
  dict += ", 'fortran_order': False, 'shape': (";
  dict += dims;
  dict += "), }";

  // Format 1.0 has a 16-bit header length; 2.0 (numpy >= 1.9) a 32-bit one.
  const auto padded = [&](size_t prefix) { return (prefix + dict.size() + 1 + 63) / 64 * 64; };
  size_t prefix = 10;
  if (padded(prefix) - prefix > 0xFFFF) prefix = 12;
  const size_t total = padded(prefix);
  const size_t header_len = total - prefix;

  std::string out("\x93NUMPY", 6);
  out.push_back(prefix == 10 ? '\x01' : '\x02');
  out.push_back('\x00');
  if (prefix == 10)
    put16(out, uint16_t(header_len));
  else
    put32(out, uint32_t(header_len));
  out += dict;
  out.append(total - out.size() - 1, ' ');
  out.push_back('\n');
  return out;
}

// ------------------------------------------------------------------ npy_writer
struct npy_writer::impl {
  std::unique_ptr<byte_output> out;
  element_budget budget;
  bool closed = false;
};

npy_writer::npy_writer(const fs::path& path, npy_dtype dtype, std::vector<uint64_t> shape)
    : impl_(std::make_unique<impl>()) {
  const std::string header = npy_header(dtype, shape);
  impl_->budget = {dtype, npy_element_count(dtype, shape), 0};
  impl_->out = std::make_unique<byte_output>(path);
  try {
    impl_->out->write(header.data(), header.size());
  } catch (...) {
    discard_unfinished(impl_->out, false);
    throw;
  }
}

npy_writer::~npy_writer() {
  if (impl_) discard_unfinished(impl_->out, impl_->closed);
}
npy_writer::npy_writer(npy_writer&&) noexcept = default;
npy_writer& npy_writer::operator=(npy_writer&& other) noexcept {
  if (this != &other) {
    if (impl_) discard_unfinished(impl_->out, impl_->closed);
    impl_ = std::move(other.impl_);
  }
  return *this;
}

void npy_writer::append(const void* data, size_t n_elements) {
  SPECMILL_EXPECTS(impl_ && !impl_->closed, "npy_writer: append after close");
  const size_t bytes = impl_->budget.take(n_elements, "npy_writer");
  impl_->out->write(data, bytes);
}

void npy_writer::close() {
  SPECMILL_EXPECTS(impl_ && !impl_->closed, "npy_writer: closed twice");
  impl_->budget.check_complete("npy_writer");
  impl_->out->close();
  impl_->closed = true;
}

// ------------------------------------------------------------------ npz_writer
struct npz_writer::impl {
  std::unique_ptr<byte_output> out;
  std::vector<zip_member> members;
  std::set<std::string, std::less<>> names;
  bool open_member = false;
  bool closed = false;
  zip_member current;
  element_budget budget;
  uint64_t crc = 0;

  void write(const std::string& s) { out->write(s.data(), s.size()); }
  void write_data(const void* data, size_t n) {
    crc = crc_update(crc, data, n);
    out->write(data, n);
  }

  void local_header() {
    const zip_member& m = current;
    const bool streamed = m.flags & flag_data_descriptor;
    // With a data descriptor the local header holds no sizes (zero, or the zip64 sentinel with
    // zeros in the extra field); to a file they are known up front and the CRC is patched later.
    const uint64_t known = streamed ? 0 : m.size;
    std::string h;
    put32(h, 0x04034b50);
    put16(h, m.zip64 ? zip_version_zip64 : zip_version_plain);
    put16(h, m.flags);
    put16(h, 0);  // stored
    put16(h, dos_time);
    put16(h, dos_date);
    put32(h, 0);  // CRC-32: patched or in the data descriptor
    put32(h, m.zip64 ? u32_max : uint32_t(known));
    put32(h, m.zip64 ? u32_max : uint32_t(known));
    put16(h, uint16_t(m.name.size()));
    put16(h, m.zip64 ? 20 : 0);
    h += m.name;
    if (m.zip64) {  // the local zip64 extra holds both sizes
      put16(h, 0x0001);
      put16(h, 16);
      put64(h, known);
      put64(h, known);
    }
    write(h);
  }

  void data_descriptor() {
    std::string d;
    put32(d, 0x08074b50);
    put32(d, current.crc);
    if (current.zip64) {
      put64(d, current.size);
      put64(d, current.size);
    } else {
      put32(d, uint32_t(current.size));
      put32(d, uint32_t(current.size));
    }
    write(d);
  }

  std::string central_entry(const zip_member& m) const {
    // Fields that do not fit 32 bits hold the sentinel and move, in this order, to the extra.
    std::string extra;
    const bool big = m.zip64 || m.size >= u32_max;
    if (big) {
      put64(extra, m.size);
      put64(extra, m.size);
    }
    if (m.offset >= u32_max) put64(extra, m.offset);
    std::string zip64_extra;
    if (!extra.empty()) {
      put16(zip64_extra, 0x0001);
      put16(zip64_extra, uint16_t(extra.size()));
      zip64_extra += extra;
    }
    std::string c;
    put32(c, 0x02014b50);
    put16(c, (3 << 8) | zip_version_zip64);  // made by: Unix, 4.5
    put16(c, zip64_extra.empty() ? zip_version_plain : zip_version_zip64);
    put16(c, m.flags);
    put16(c, 0);
    put16(c, dos_time);
    put16(c, dos_date);
    put32(c, m.crc);
    put32(c, big ? u32_max : uint32_t(m.size));
    put32(c, big ? u32_max : uint32_t(m.size));
    put16(c, uint16_t(m.name.size()));
    put16(c, uint16_t(zip64_extra.size()));
    put16(c, 0);           // comment
    put16(c, 0);           // disk
    put16(c, 0);           // internal attributes
    put32(c, 0100644u << 16);  // external: a regular file, rw-r--r--
    put32(c, m.offset >= u32_max ? u32_max : uint32_t(m.offset));
    c += m.name;
    c += zip64_extra;
    return c;
  }

  void end_records(uint64_t cd_offset, uint64_t cd_size) {
    const uint64_t n = members.size();
    const bool zip64 = n >= 0xFFFF || cd_size >= u32_max || cd_offset >= u32_max;
    std::string e;
    if (zip64) {
      const uint64_t record_offset = out->position();
      put32(e, 0x06064b50);  // zip64 end of central directory record
      put64(e, 44);
      put16(e, (3 << 8) | zip_version_zip64);
      put16(e, zip_version_zip64);
      put32(e, 0);
      put32(e, 0);
      put64(e, n);
      put64(e, n);
      put64(e, cd_size);
      put64(e, cd_offset);
      put32(e, 0x07064b50);  // its locator
      put32(e, 0);
      put64(e, record_offset);
      put32(e, 1);
    }
    put32(e, 0x06054b50);
    put16(e, 0);
    put16(e, 0);
    put16(e, zip64 ? 0xFFFF : uint16_t(n));
    put16(e, zip64 ? 0xFFFF : uint16_t(n));
    put32(e, zip64 ? u32_max : uint32_t(cd_size));
    put32(e, zip64 ? u32_max : uint32_t(cd_offset));
    put16(e, 0);
    write(e);
  }
};

npz_writer::npz_writer(const fs::path& path) : impl_(std::make_unique<impl>()) {
  impl_->out = std::make_unique<byte_output>(path);
}

npz_writer::npz_writer(std::function<void(const char*, size_t)> sink) : impl_(std::make_unique<impl>()) {
  impl_->out = std::make_unique<byte_output>(std::move(sink));
}

npz_writer::~npz_writer() {
  if (impl_) discard_unfinished(impl_->out, impl_->closed);
}
npz_writer::npz_writer(npz_writer&&) noexcept = default;
npz_writer& npz_writer::operator=(npz_writer&& other) noexcept {
  if (this != &other) {
    if (impl_) discard_unfinished(impl_->out, impl_->closed);
    impl_ = std::move(other.impl_);
  }
  return *this;
}

void npz_writer::begin_array(std::string_view name, npy_dtype dtype, std::vector<uint64_t> shape) {
  impl& s = *impl_;
  SPECMILL_EXPECTS(!s.closed, "npz_writer: begin_array after close");
  SPECMILL_EXPECTS(!s.open_member, "npz_writer: begin_array while '" + s.current.name + "' is open");
  SPECMILL_EXPECTS(!name.empty() && name.size() < 0xFFFF - 4, "npz_writer: bad member name");
  std::string member(name);
  member += ".npy";
  SPECMILL_EXPECTS(!s.names.contains(member), "npz_writer: duplicate member '" + member + "'");

  const std::string header = npy_header(dtype, shape);
  const uint64_t count = npy_element_count(dtype, shape);
  zip_member m;
  m.name = member;
  m.size = header.size() + count * npy_itemsize(dtype);
  m.offset = s.out->position();
  m.zip64 = m.size >= u32_max;
  m.flags = s.out->seekable() ? 0 : flag_data_descriptor;
  for (unsigned char ch : member)
    if (ch >= 0x80) m.flags |= flag_utf8_name;
  s.current = std::move(m);
  s.budget = {dtype, count, 0};
  s.crc = crc32_z(0, nullptr, 0);
  s.names.insert(member);
  s.open_member = true;
  s.local_header();
  s.write_data(header.data(), header.size());
}

void npz_writer::append(const void* data, size_t n_elements) {
  impl& s = *impl_;
  SPECMILL_EXPECTS(s.open_member, "npz_writer: append outside begin_array/end_array");
  const size_t bytes = s.budget.take(n_elements, "npz_writer");
  s.write_data(data, bytes);
}

void npz_writer::end_array() {
  impl& s = *impl_;
  SPECMILL_EXPECTS(s.open_member, "npz_writer: end_array without begin_array");
  s.budget.check_complete(("npz_writer member '" + s.current.name + "'").c_str());
  s.current.crc = uint32_t(s.crc);
  if (s.current.flags & flag_data_descriptor) {
    s.data_descriptor();
  } else {
    std::string crc;
    put32(crc, s.current.crc);
    s.out->patch(s.current.offset + 14, crc.data(), crc.size());  // CRC-32 field of the local header
  }
  s.members.push_back(std::move(s.current));
  s.current = {};
  s.open_member = false;
}

void npz_writer::close() {
  impl& s = *impl_;
  SPECMILL_EXPECTS(!s.closed, "npz_writer: closed twice");
  SPECMILL_EXPECTS(!s.open_member, "npz_writer: close while '" + s.current.name + "' is open");
  const uint64_t cd_offset = s.out->position();
  for (const zip_member& m : s.members) s.write(s.central_entry(m));
  s.end_records(cd_offset, s.out->position() - cd_offset);
  s.out->close();
  s.closed = true;
}

}  // namespace specmill
