#include "engine/get/dense_output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <charconv>
#include <cstring>

#include <fitsio.h>

#include "core/error.hpp"
#include "io/formats/output_file.hpp"
#include "io/fits/fits_file.hpp"
#include "io/formats/h5_output.hpp"
#include "io/formats/npy.hpp"

namespace specmill {
namespace {

namespace fs = std::filesystem;

size_t row_bytes(const dense_layout& l) { return size_t(l.width) * 4; }

// An unnamed scratch file in `dir` (O_TMPFILE: it vanishes on close or crash), falling back
// to tmpfile() where the filesystem has no O_TMPFILE.
class spool_file {
 public:
  explicit spool_file(const fs::path& dir) {
    fd_ = ::open(dir.empty() ? "." : dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      FILE* f = std::tmpfile();
      if (!f) throw io_error("cannot create a temporary file: " + std::string(std::strerror(errno)));
      fd_ = ::dup(fileno(f));
      std::fclose(f);
    }
  }
  ~spool_file() { ::close(fd_); }
  spool_file(const spool_file&) = delete;
  spool_file& operator=(const spool_file&) = delete;
  void append(const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw io_error("cannot write a temporary file: " + std::string(std::strerror(errno)));
      p += w, n -= size_t(w);
    }
  }
  template <class F>
  void replay(F&& take) {  // hands the whole content back in order, in chunks
    std::vector<char> buf(size_t(8) << 20);
    off_t at = 0;
    for (;;) {
      const ssize_t r = ::pread(fd_, buf.data(), buf.size(), at);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw io_error("cannot read a temporary file: " + std::string(std::strerror(errno)));
      if (r == 0) return;
      take(buf.data(), size_t(r));
      at += r;
    }
  }

 private:
  int fd_ = -1;
};

class npz_sink : public dense_sink {
 public:
  npz_sink(const fs::path& out, dense_layout l, const byte_sink& stream)
      : l_(std::move(l)), npz_(stream ? npz_writer(stream) : npz_writer(out)) {
    const fs::path spool_dir = stream ? fs::temp_directory_path() : out.parent_path();
    for (size_t k = 1; k < l_.names.size(); ++k) spools_.push_back(std::make_unique<spool_file>(spool_dir));
    if (!l_.names.empty()) begin(0);
  }
  void write(size_t, size_t nrows, std::span<const void* const> cols) override {
    if (cols.empty()) return;
    npz_.append(cols[0], nrows * size_t(l_.width));
    for (size_t k = 1; k < cols.size(); ++k) spools_[k - 1]->append(cols[k], nrows * row_bytes(l_));
  }
  void close() override {
    if (!l_.names.empty()) npz_.end_array();
    for (size_t k = 1; k < l_.names.size(); ++k) {
      begin(k);
      spools_[k - 1]->replay([&](const char* p, size_t n) { npz_.append(p, n / 4); });
      npz_.end_array();
    }
    npz_.write_array<double>("loglam", l_.loglam);
    npz_.write_array<double>("wavelength", l_.wavelength);
    npz_.write_array<uint64_t>("specobjid", l_.specobjid);
    npz_.begin_array("found", npy_dtype::b1, {l_.found.size()});
    npz_.append(l_.found.data(), l_.found.size());
    npz_.end_array();
    npz_.close();
  }

 private:
  void begin(size_t k) {
    npz_.begin_array(l_.names[k], l_.is_int[k] ? npy_dtype::i4 : npy_dtype::f4, {l_.n_rows, uint64_t(l_.width)});
  }
  dense_layout l_;
  npz_writer npz_;
  std::vector<std::unique_ptr<spool_file>> spools_;
};

class npy_sink : public dense_sink {
 public:
  npy_sink(const fs::path& out, dense_layout l, const byte_sink& stream) : l_(std::move(l)), out_(out, stream) {
    const std::vector<uint64_t> shape = l_.one_dimensional && l_.n_rows == 1
                                            ? std::vector<uint64_t>{uint64_t(l_.width)}
                                            : std::vector<uint64_t>{l_.n_rows, uint64_t(l_.width)};
    std::string descr;
    if (l_.names.size() == 1) {
      descr = l_.is_int[0] ? "'<i4'" : "'<f4'";
    } else {
      descr = "[";
      for (size_t k = 0; k < l_.names.size(); ++k)
        descr += "('" + l_.names[k] + "', '" + (l_.is_int[k] ? "<i4" : "<f4") + "'), ";
      descr += "]";
    }
    out_.write(npy_header(descr, shape));
  }
  void write(size_t, size_t nrows, std::span<const void* const> cols) override {
    const size_t n = nrows * size_t(l_.width), nc = cols.size();
    if (nc == 1) {
      out_.write(cols[0], n * 4);
      return;
    }
    // Interleave the fields pixel by pixel: 4-byte words, contiguous stores, on TBB threads
    // (a byte-wise memcpy per field was 4x slower than the whole read).
    records_.resize(n * nc);
    uint32_t* out = records_.data();
    std::vector<const uint32_t*> src(nc);
    for (size_t k = 0; k < nc; ++k) src[k] = static_cast<const uint32_t*>(cols[k]);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1 << 14), [&](const tbb::blocked_range<size_t>& r) {
      for (size_t p = r.begin(); p != r.end(); ++p)
        for (size_t k = 0; k < nc; ++k) out[p * nc + k] = src[k][p];
    });
    out_.write(records_.data(), records_.size() * 4);
  }
  void close() override { out_.close(); }

 private:
  dense_layout l_;
  output_file out_;
  std::vector<uint32_t> records_;
};

class csv_sink : public dense_sink {
 public:
  csv_sink(const fs::path& out, dense_layout l, const byte_sink& stream) : l_(std::move(l)), out_(out, stream) {
    std::string head = "specobjid,pixel,wavelength";
    for (const auto& n : l_.names) head += "," + n;
    out_.write(head + "\n");
  }
  void write(size_t row0, size_t nrows, std::span<const void* const> cols) override {
    char num[32];
    const size_t w = size_t(l_.width);
    for (size_t r = 0; r < nrows; ++r) {
      const std::string id = std::to_string(l_.specobjid[row0 + r]);
      for (size_t p = 0; p < w; ++p) {
        text_ += id;
        text_ += ',';
        text_ += std::to_string(p);
        text_ += ',';
        text_.append(num, std::to_chars(num, num + sizeof num, l_.wavelength[p]).ptr);
        for (size_t k = 0; k < cols.size(); ++k) {
          text_ += ',';
          const char* src = static_cast<const char*>(cols[k]) + (r * w + p) * 4;
          char* end;
          if (l_.is_int[k]) {
            int32_t v;
            std::memcpy(&v, src, 4);
            end = std::to_chars(num, num + sizeof num, v).ptr;
          } else {
            float v;  // shortest text that reads back to the same float
            std::memcpy(&v, src, 4);
            end = std::to_chars(num, num + sizeof num, v).ptr;
          }
          text_.append(num, end);
        }
        text_ += '\n';
        if (text_.size() > (1u << 20)) flush();
      }
    }
  }
  void close() override {
    flush();
    out_.close();
  }

 private:
  void flush() {
    out_.write(text_);
    text_.clear();
  }
  dense_layout l_;
  output_file out_;
  std::string text_;
};

class hdf5_sink : public dense_sink {
 public:
  hdf5_sink(const fs::path& out, dense_layout l) : l_(std::move(l)), h5_(out) {
    for (size_t k = 0; k < l_.names.size(); ++k)
      h5_.create(l_.names[k], l_.is_int[k] ? npy_dtype::i4 : npy_dtype::f4, {l_.n_rows, uint64_t(l_.width)});
  }
  void write(size_t row0, size_t nrows, std::span<const void* const> cols) override {
    for (size_t k = 0; k < cols.size(); ++k) h5_.write(l_.names[k], row0, nrows, cols[k]);
  }
  void close() override {
    auto put = [&](const std::string& name, npy_dtype t, size_t n, const void* data) {
      h5_.create(name, t, {n});
      h5_.write(name, 0, n, data);
    };
    put("loglam", npy_dtype::f8, l_.loglam.size(), l_.loglam.data());
    put("wavelength", npy_dtype::f8, l_.wavelength.size(), l_.wavelength.data());
    put("specobjid", npy_dtype::u8, l_.specobjid.size(), l_.specobjid.data());
    put("found", npy_dtype::b1, l_.found.size(), l_.found.data());
    h5_.attribute("context", l_.context);
    h5_.attribute("grid", l_.grid);
    h5_.close();
  }

 private:
  dense_layout l_;
  h5_output h5_;
};

class fits_sink : public dense_sink {
 public:
  fits_sink(const fs::path& out, dense_layout l) : l_(std::move(l)), file_(create(out)) {
    std::vector<std::string> names = {"SPECOBJID", "FOUND"}, forms = {"1K", "1L"};
    for (size_t k = 0; k < l_.names.size(); ++k) {
      std::string upper = l_.names[k];
      for (char& ch : upper) ch = char(std::toupper(static_cast<unsigned char>(ch)));
      names.push_back(upper);
      forms.push_back(std::to_string(l_.width) + (l_.is_int[k] ? "J" : "E"));
    }
    std::vector<char*> ttype, tform;
    for (auto& s : names) ttype.push_back(s.data());
    for (auto& s : forms) tform.push_back(s.data());
    int status = 0;
    fitsfile* f = file_.get();
    fits_create_tbl(f, BINARY_TBL, 0, int(names.size()), ttype.data(), tform.data(), nullptr, "SPECTRA", &status);
    file_.check(status, "creating table SPECTRA");
    file_.declare_unsigned64(1, "unsigned 64-bit SPECOBJID");
    fits_write_key_str(f, "CONTEXT", l_.context.c_str(), "specmill context", &status);
    fits_write_key_str(f, "GRID", l_.grid.c_str(), "wavelength grid of the vector columns", &status);
    file_.check(status, "creating table SPECTRA");
  }
  void write(size_t row0, size_t nrows, std::span<const void* const> cols) override {
    int status = 0;
    fitsfile* f = file_.get();
    std::vector<unsigned long long> ids(l_.specobjid.begin() + long(row0), l_.specobjid.begin() + long(row0 + nrows));
    std::vector<char> found(nrows);
    for (size_t r = 0; r < nrows; ++r) found[r] = l_.found[row0 + r] ? 1 : 0;
    const long long first = (long long)row0 + 1;
    fits_write_col(f, TULONGLONG, 1, first, 1, (long long)nrows, ids.data(), &status);
    fits_write_col(f, TLOGICAL, 2, first, 1, (long long)nrows, found.data(), &status);
    // A fixed-length vector column is contiguous across rows: one call writes the whole window.
    for (size_t k = 0; k < cols.size(); ++k)
      fits_write_col(f, l_.is_int[k] ? TINT : TFLOAT, int(3 + k), first, 1, (long long)(nrows * size_t(l_.width)),
                     const_cast<void*>(cols[k]), &status);
    file_.check(status, "writing rows");
  }
  void close() override {
    int status = 0;
    fitsfile* f = file_.get();
    char n1[] = "LOGLAM", n2[] = "WAVELENGTH", d[] = "1D";
    char* ttype[] = {n1, n2};
    char* tform[] = {d, d};
    char* tunit[] = {nullptr, nullptr};
    char u2[] = "Angstrom";
    tunit[1] = u2;
    char empty[] = "";
    tunit[0] = empty;
    fits_create_tbl(f, BINARY_TBL, 0, 2, ttype, tform, tunit, "GRID", &status);
    fits_write_col(f, TDOUBLE, 1, 1, 1, (long long)l_.loglam.size(), l_.loglam.data(), &status);
    fits_write_col(f, TDOUBLE, 2, 1, 1, (long long)l_.wavelength.size(), l_.wavelength.data(), &status);
    file_.check(status, "writing table GRID");
    file_.close();
  }

 private:
  static fits_file create(const fs::path& out) {
    SPECMILL_EXPECTS(out != "-", "FITS output needs a file (--out FILE.fits)");
    return fits_file::create(out);
  }
  dense_layout l_;
  fits_file file_;
};

}  // namespace

std::unique_ptr<dense_sink> make_dense_sink(get_format f, const fs::path& out, dense_layout layout,
                                            const byte_sink& stream) {
  SPECMILL_EXPECTS(layout.names.size() == layout.is_int.size(), "dense_layout: names and types differ in length");
  SPECMILL_EXPECTS(!stream || f == get_format::npz || f == get_format::npy || f == get_format::csv,
                   "fits and hdf5 output need a file");
  switch (f) {
    case get_format::npz:
      SPECMILL_EXPECTS(stream || out != "-", "npz output needs a file (--out FILE.npz)");
      return std::make_unique<npz_sink>(out, std::move(layout), stream);
    case get_format::npy: return std::make_unique<npy_sink>(out, std::move(layout), stream);
    case get_format::csv: return std::make_unique<csv_sink>(out, std::move(layout), stream);
    case get_format::hdf5:
      SPECMILL_EXPECTS(out != "-", "HDF5 output needs a file (--out FILE.h5)");
      return std::make_unique<hdf5_sink>(out, std::move(layout));
    case get_format::fits: return std::make_unique<fits_sink>(out, std::move(layout));
  }
  throw invalid_argument("unknown output format");
}

}  // namespace specmill
