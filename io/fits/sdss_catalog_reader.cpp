#include "io/fits/sdss_catalog_reader.hpp"

#include "core/error.hpp"
#include "io/fits/fits_native.hpp"
#include "io/fits/spec_meta_table.hpp"

namespace specmill {

sdss_catalog_reader::sdss_catalog_reader(const std::filesystem::path& file)
    : file_(std::make_unique<fits_file>(fits_file::open_read(file))) {
  // spAll has no RUN2D in the primary header, but a trimmed catalog might carry it there only.
  auto run2d = file_->key_string("RUN2D");
  file_->move_to(1);
  SPECMILL_DATA_CHECK(file_->hdu_type() == BINARY_TBL,
                      "'" + file.string() + "': HDU 1 of a catalog must be a binary table");
  rows_ = size_t(file_->rows());
  table_ = std::make_unique<spec_meta_table>(*file_, std::move(run2d));
}

sdss_catalog_reader::~sdss_catalog_reader() = default;
sdss_catalog_reader::sdss_catalog_reader(sdss_catalog_reader&&) noexcept = default;
sdss_catalog_reader& sdss_catalog_reader::operator=(sdss_catalog_reader&&) noexcept = default;

std::vector<spec_meta> sdss_catalog_reader::read(size_t first_row, size_t count) {
  SPECMILL_EXPECTS(file_, "catalog reader was moved from");
  SPECMILL_EXPECTS(first_row <= rows_ && count <= rows_ - first_row,
                   "rows [" + std::to_string(first_row) + ", " + std::to_string(first_row + count) +
                       ") pass the end of '" + file_->path().string() + "' (" + std::to_string(rows_) +
                       " rows)");
  return table_->read(*file_, first_row, count);
}

}  // namespace specmill
