#include "io/formats/npy.hpp"

#include <libdeflate.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

#include "core/error.hpp"

namespace specmill {
namespace {

namespace fs = std::filesystem;

// Counts elements against the shape as they are appended.
struct element_budget {
  size_t itemsize = 0;
  uint64_t expected = 0;
  uint64_t written = 0;

  size_t take(size_t n_elements, const char* who) {
    SPECMILL_EXPECTS(n_elements <= expected - written,
                     std::string(who) + ": appending " + std::to_string(n_elements) +
                         " elements overruns the shape (" + std::to_string(expected - written) +
                         " left)");
    written += n_elements;
    return n_elements * itemsize;
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

// libdeflate's CRC-32 (the zip one, as zlib's): ~3x zlib 1.2's on this machine, and the CRC was
// ~7% of writing a large npz.
uint64_t crc_update(uint64_t crc, const void* data, size_t n) {
  if (n == 0) return crc;
  return libdeflate_crc32(static_cast<uint32_t>(crc), data, n);
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

npy_writer::npy_writer(output_target target, npy_dtype dtype, std::vector<uint64_t> shape)
    : impl_(std::make_unique<impl>()) {
  const std::string header = npy_header(dtype, shape);
  impl_->budget = {npy_itemsize(dtype), npy_element_count(dtype, shape), 0};
  impl_->out = std::make_unique<byte_output>(std::move(target));
  impl_->out->write(header);
}

npy_writer::~npy_writer() = default;
npy_writer::npy_writer(npy_writer&&) noexcept = default;
npy_writer& npy_writer::operator=(npy_writer&&) noexcept = default;

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
namespace {

std::string local_header(const zip_member& m) {
  const bool streamed = m.flags & flag_data_descriptor;
  // With a data descriptor the local header holds no sizes (zero, or the zip64 sentinel with
  // zeros in the extra field) and no CRC; to a file everything is known when it is written.
  const uint64_t known = streamed ? 0 : m.size;
  std::string h;
  put32(h, 0x04034b50);
  put16(h, m.zip64 ? zip_version_zip64 : zip_version_plain);
  put16(h, m.flags);
  put16(h, 0);  // stored
  put16(h, dos_time);
  put16(h, dos_date);
  put32(h, streamed ? 0 : m.crc);
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
  return h;
}

size_t local_header_size(const zip_member& m) { return 30 + m.name.size() + (m.zip64 ? 20 : 0); }

std::string data_descriptor(const zip_member& m) {
  std::string d;
  put32(d, 0x08074b50);
  put32(d, m.crc);
  if (m.zip64) {
    put64(d, m.size);
    put64(d, m.size);
  } else {
    put32(d, uint32_t(m.size));
    put32(d, uint32_t(m.size));
  }
  return d;
}

std::string central_entry(const zip_member& m) {
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
  put16(c, 0);               // comment
  put16(c, 0);               // disk
  put16(c, 0);               // internal attributes
  put32(c, 0100644u << 16);  // external: a regular file, rw-r--r--
  put32(c, m.offset >= u32_max ? u32_max : uint32_t(m.offset));
  c += m.name;
  c += zip64_extra;
  return c;
}

std::string end_records(uint64_t n, uint64_t cd_offset, uint64_t cd_size) {
  const bool zip64 = n >= 0xFFFF || cd_size >= u32_max || cd_offset >= u32_max;
  std::string e;
  if (zip64) {
    const uint64_t record_offset = cd_offset + cd_size;
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
  return e;
}

}  // namespace

struct npz_writer::impl {
  struct member {
    zip_member zip;
    std::string header;  // the .npy header, the start of the member's data
    element_budget budget;
    uint64_t crc = 0;                    // running CRC-32 of header + data so far
    uint64_t data_at = 0;                // file: where the member's next bytes go
    std::unique_ptr<spool_file> spool;   // stream: data that came before the member's turn
    bool started = false;                // stream: its local header is out
    bool ended = false;                  // file: local header written; stream: descriptor out
    bool complete() const { return budget.written == budget.expected; }
  };

  std::unique_ptr<byte_output> out;
  std::vector<member> members;
  std::set<std::string, std::less<>> names;
  uint64_t file_end = 0;  // file: where the next declared member starts
  size_t turn = 0;        // stream: the member now going out (the first one not ended)
  std::optional<size_t> sequential;  // begin_array's member, until end_array
  bool closed = false;

  bool to_file() const { return out->seekable(); }

  size_t declare(std::string_view name, npy_dtype dtype, std::vector<uint64_t> shape) {
    const uint64_t count = npy_element_count(dtype, shape);
    return declare(name, npy_header(dtype, shape), npy_itemsize(dtype), count);
  }

  size_t declare(std::string_view name, std::string header, size_t itemsize, uint64_t count) {
    SPECMILL_EXPECTS(!closed, "npz_writer: array declared after close");
    SPECMILL_EXPECTS(!name.empty() && name.size() < 0xFFFF - 4, "npz_writer: bad member name");
    std::string file_name(name);
    file_name += ".npy";
    SPECMILL_EXPECTS(!names.contains(file_name), "npz_writer: duplicate member '" + file_name + "'");
    member m;
    m.header = std::move(header);
    m.zip.name = std::move(file_name);
    m.zip.size = m.header.size() + count * itemsize;
    m.zip.zip64 = m.zip.size >= u32_max;
    m.zip.flags = to_file() ? 0 : flag_data_descriptor;
    for (unsigned char ch : m.zip.name)
      if (ch >= 0x80) m.zip.flags |= flag_utf8_name;
    m.budget = {itemsize, count, 0};
    m.crc = crc_update(0, m.header.data(), m.header.size());
    names.insert(m.zip.name);
    if (to_file()) {
      m.zip.offset = file_end;
      m.data_at = file_end + local_header_size(m.zip);
      out->write_at(m.data_at, m.header.data(), m.header.size());
      m.data_at += m.header.size();
      file_end += local_header_size(m.zip) + m.zip.size;
    }
    members.push_back(std::move(m));
    const size_t k = members.size() - 1;
    if (to_file()) {
      end_if_complete(k);
    } else {
      pump();
    }
    return k;
  }

  void append(size_t k, const void* data, size_t n_elements) {
    SPECMILL_EXPECTS(!closed && k < members.size(), "npz_writer: append to an unknown member");
    member& m = members[k];
    const size_t bytes = m.budget.take(n_elements, ("npz_writer member '" + m.zip.name + "'").c_str());
    if (bytes == 0) return;
    m.crc = crc_update(m.crc, data, bytes);
    if (to_file()) {
      out->write_at(m.data_at, data, bytes);
      m.data_at += bytes;
      end_if_complete(k);
    } else if (k == turn) {
      out->write(data, bytes);
      if (m.complete()) pump();
    } else {
      if (!m.spool) m.spool = std::make_unique<spool_file>();
      m.spool->append(data, bytes);
    }
  }

  // File: a complete member's local header, CRC and sizes in place.
  void end_if_complete(size_t k) {
    member& m = members[k];
    if (!m.complete() || m.ended) return;
    m.zip.crc = uint32_t(m.crc);
    const std::string h = local_header(m.zip);
    out->write_at(m.zip.offset, h.data(), h.size());
    m.ended = true;
  }

  // Stream: sends every member whose turn has come, as far as its data is there.
  void pump() {
    while (turn < members.size()) {
      member& m = members[turn];
      if (!m.started) {
        m.zip.offset = out->position();
        out->write(local_header(m.zip));
        out->write(m.header);
        if (m.spool) {
          m.spool->replay([&](const char* p, size_t n) { out->write(p, n); });
          m.spool.reset();
        }
        m.started = true;
      }
      if (!m.complete()) return;
      m.zip.crc = uint32_t(m.crc);
      out->write(data_descriptor(m.zip));
      m.ended = true;
      ++turn;
    }
  }

  void close() {
    SPECMILL_EXPECTS(!closed, "npz_writer: closed twice");
    SPECMILL_EXPECTS(!sequential, "npz_writer: close while '" + (sequential ? members[*sequential].zip.name : "") +
                                      "' is open");
    for (const member& m : members)
      SPECMILL_EXPECTS(m.ended, "npz_writer: member '" + m.zip.name + "' has " + std::to_string(m.budget.written) +
                                    " of its " + std::to_string(m.budget.expected) + " elements");
    std::string cd;
    const uint64_t cd_offset = to_file() ? file_end : out->position();
    for (const member& m : members) cd += central_entry(m.zip);
    cd += end_records(members.size(), cd_offset, cd.size());
    if (to_file())
      out->write_at(cd_offset, cd.data(), cd.size());
    else
      out->write(cd);
    out->close();
    closed = true;
  }
};

npz_writer::npz_writer(output_target target) : impl_(std::make_unique<impl>()) {
  impl_->out = std::make_unique<byte_output>(std::move(target));
}

npz_writer::npz_writer(byte_stream sink) : impl_(std::make_unique<impl>()) {
  SPECMILL_EXPECTS(static_cast<bool>(sink), "npz_writer needs a sink function");
  impl_->out = std::make_unique<byte_output>(output_target({}, std::move(sink)));
}

npz_writer::~npz_writer() = default;
npz_writer::npz_writer(npz_writer&&) noexcept = default;
npz_writer& npz_writer::operator=(npz_writer&&) noexcept = default;

size_t npz_writer::declare_array(std::string_view name, npy_dtype dtype, std::vector<uint64_t> shape) {
  return impl_->declare(name, dtype, std::move(shape));
}

size_t npz_writer::declare_records(std::string_view name, std::string_view descr, size_t record_bytes, uint64_t rows) {
  SPECMILL_EXPECTS(record_bytes > 0 && rows <= UINT64_MAX / record_bytes, "npz_writer: bad record array size");
  const uint64_t shape[] = {rows};
  return impl_->declare(name, npy_header(descr, shape), record_bytes, rows);
}

void npz_writer::append_to(size_t member, const void* data, size_t n_elements) {
  impl_->append(member, data, n_elements);
}

void npz_writer::begin_array(std::string_view name, npy_dtype dtype, std::vector<uint64_t> shape) {
  impl& s = *impl_;
  SPECMILL_EXPECTS(!s.closed, "npz_writer: begin_array after close");
  SPECMILL_EXPECTS(!s.sequential, "npz_writer: begin_array while '" + s.members[*s.sequential].zip.name + "' is open");
  s.sequential = s.declare(name, dtype, std::move(shape));
}

void npz_writer::append(const void* data, size_t n_elements) {
  impl& s = *impl_;
  SPECMILL_EXPECTS(s.sequential.has_value(), "npz_writer: append outside begin_array/end_array");
  s.append(*s.sequential, data, n_elements);
}

void npz_writer::end_array() {
  impl& s = *impl_;
  SPECMILL_EXPECTS(s.sequential.has_value(), "npz_writer: end_array without begin_array");
  s.members[*s.sequential].budget.check_complete(("npz_writer member '" + s.members[*s.sequential].zip.name + "'").c_str());
  s.sequential.reset();
}

void npz_writer::close() { impl_->close(); }

}  // namespace specmill
