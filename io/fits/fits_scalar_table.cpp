#include "io/fits/fits_scalar_table.hpp"

#include <cmath>

#include "core/error.hpp"
#include "io/fits/fits_native.hpp"

namespace specmill {
namespace {

constexpr double two63 = 9223372036854775808.0;  // TZERO of unsigned 64-bit columns

bool integer_type(int t) {
  return t == TBYTE || t == TSBYTE || t == TSHORT || t == TUSHORT || t == TINT || t == TUINT || t == TLONG ||
         t == TULONG || t == TLONGLONG || t == TULONGLONG;
}

// How a column is stored, or an empty `reason` set when it is skipped.
fits_scalar_column classify(fits_file& f, const fits_column& c, std::string& reason) {
  fits_scalar_column out;
  out.fits_name = c.name;
  out.index = c.index;
  if (c.typecode < 0) {
    reason = "variable-length array";
  } else if (c.repeat == 0) {
    reason = "no elements (repeat 0)";
  } else if (c.typecode == TSTRING) {
    int type = 0, status = 0;
    LONGLONG repeat = 0, width = 0;
    fits_get_coltypell(native(f), c.index, &type, &repeat, &width, &status);
    f.check(status, "cannot read the type of column " + c.name);
    if (width < repeat) reason = "array of " + std::to_string(repeat / std::max<LONGLONG>(width, 1)) + " strings";
    out.type = sql_type::text;
    out.how = fits_scalar_column::read_as::text;
  } else if (c.repeat != 1) {
    reason = "array of " + std::to_string(c.repeat) + " values";
  } else if (c.typecode == TBIT) {
    reason = "bit column";
  } else if (c.typecode == TCOMPLEX || c.typecode == TDBLCOMPLEX) {
    reason = "complex";
  } else if (c.typecode == TLOGICAL) {
    out.type = sql_type::integer;
    out.how = fits_scalar_column::read_as::logical;
  } else if (integer_type(c.typecode) && c.scale == 1.0 && c.typecode == TLONGLONG && c.zero == two63) {
    out.type = sql_type::integer;  // unsigned 64-bit: stored as the same 64 bits, like SPECOBJID
    out.how = fits_scalar_column::read_as::uint64;
  } else if (integer_type(c.typecode) && c.scale == 1.0 && c.zero == std::floor(c.zero) && std::abs(c.zero) < 4.3e9) {
    out.type = sql_type::integer;
    out.how = fits_scalar_column::read_as::int64;
  } else if (integer_type(c.typecode) || c.typecode == TFLOAT || c.typecode == TDOUBLE) {
    out.type = sql_type::real;  // floats, and integers with a non-integer scaling
    out.how = fits_scalar_column::read_as::real;
  } else {
    reason = "unsupported type code " + std::to_string(c.typecode);
  }
  return out;
}

template <class T>
void read_with_nulls(fits_file& f, int type, int col, size_t first, size_t count, std::vector<T>& values,
                     std::vector<char>& nulls) {
  values.assign(count, T{});
  nulls.assign(count, 0);
  int anynul = 0, status = 0;
  fits_read_colnull(native(f), type, col, LONGLONG(first) + 1, 1, LONGLONG(count), values.data(), nulls.data(),
                    &anynul, &status);
  f.check(status, "cannot read column " + std::to_string(col));
}

}  // namespace

fits_scalar_table::fits_scalar_table(const std::filesystem::path& file)
    : file_(std::make_unique<fits_file>(fits_file::open_read(file))) {
  const int n = file_->hdu_count();
  int hdu = 1;
  for (; hdu < n; ++hdu) {
    file_->move_to(hdu);
    if (file_->hdu_type() == BINARY_TBL && !file_->columns().empty()) break;
  }
  SPECMILL_DATA_CHECK(hdu < n, "'" + file.string() + "' has no binary table with columns");
  rows_ = size_t(file_->rows());
  for (const auto& c : file_->columns()) {
    std::string reason;
    auto sc = classify(*file_, c, reason);
    if (reason.empty()) columns_.push_back(std::move(sc));
    else skipped_.push_back({c.name, reason});
  }
}

fits_scalar_table::~fits_scalar_table() = default;

std::vector<sql_value> fits_scalar_table::read(size_t c, size_t first, size_t count) {
  SPECMILL_EXPECTS(c < columns_.size() && first + count <= rows_ && first <= rows_, "FITS read out of range");
  const auto& col = columns_[c];
  std::vector<sql_value> out(count);
  std::vector<char> nulls;
  using how = fits_scalar_column::read_as;
  switch (col.how) {
    case how::int64: {
      std::vector<LONGLONG> v;
      read_with_nulls(*file_, TLONGLONG, col.index, first, count, v, nulls);
      for (size_t i = 0; i < count; ++i)
        if (!nulls[i]) out[i] = int64_t(v[i]);
      break;
    }
    case how::uint64: {
      std::vector<ULONGLONG> v;
      read_with_nulls(*file_, TULONGLONG, col.index, first, count, v, nulls);
      for (size_t i = 0; i < count; ++i)
        if (!nulls[i]) out[i] = static_cast<int64_t>(v[i]);
      break;
    }
    case how::real: {
      std::vector<double> v;
      read_with_nulls(*file_, TDOUBLE, col.index, first, count, v, nulls);
      for (size_t i = 0; i < count; ++i)
        if (!nulls[i] && !std::isnan(v[i])) out[i] = v[i];
      break;
    }
    case how::logical: {
      std::vector<char> v;
      read_with_nulls(*file_, TLOGICAL, col.index, first, count, v, nulls);
      for (size_t i = 0; i < count; ++i)
        if (!nulls[i]) out[i] = int64_t(v[i] ? 1 : 0);
      break;
    }
    case how::text: {
      int type = 0, status = 0;
      LONGLONG repeat = 0, width = 0;
      fits_get_coltypell(native(*file_), col.index, &type, &repeat, &width, &status);
      file_->check(status, "cannot read the type of column " + col.fits_name);
      const size_t w = size_t(std::max<LONGLONG>(repeat, 1)) + 1;
      std::vector<char> storage(count * w, '\0');
      std::vector<char*> rows(count);
      for (size_t i = 0; i < count; ++i) rows[i] = storage.data() + i * w;
      char nulstr[] = "";
      int anynul = 0;
      fits_read_col(native(*file_), TSTRING, col.index, LONGLONG(first) + 1, 1, LONGLONG(count), nulstr, rows.data(),
                    &anynul, &status);
      file_->check(status, "cannot read column " + col.fits_name);
      for (size_t i = 0; i < count; ++i) {
        std::string s(rows[i]);
        while (!s.empty() && s.back() == ' ') s.pop_back();
        out[i] = std::move(s);
      }
      break;
    }
  }
  return out;
}

}  // namespace specmill
