#pragma once
// Header cards that CFITSIO 4.2 cannot parse safely, refused before CFITSIO sees them.
//
// CFITSIO parses a table HDU's column keywords (ffgtbp) into fixed buffers without bounds:
// an unquoted TTYPEn value of 70 or more characters is strcpy'd into a 70-byte column name,
// and a TSCALn/TZEROn/TNULLn/TBCOLn/THEAPn value that does not convert is sprintf'd, with up to
// 47 characters of text around it, into an 81-byte message. glibc's fortify checks abort the
// process on either (found by fuzz/fuzz_desi_coadd_reader). Real files never have such cards
// (a column name is a quoted string of at most 68 characters; a scale is a short number), so a
// file that has one is corrupt and is refused as data_error, naming the file, the HDU and card.
//
// The check walks the HDUs itself (each header up to END, then NAXISn/BITPIX/PCOUNT/GCOUNT to
// skip the data), reading only header records. Where its walk cannot go on (a header it cannot
// size, a file that ends) it stops and leaves the answer to CFITSIO, which reports those.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>

namespace specmill {

// Reads up to `buffer.size()` bytes at `offset`; returns how many were read (0 at the end).
using fits_byte_reader = std::function<size_t(int64_t offset, std::span<unsigned char> buffer)>;

void check_fits_header_cards(const fits_byte_reader& read, const std::filesystem::path& name);
void check_fits_header_cards(std::span<const unsigned char> bytes, const std::filesystem::path& name);
// A file on disk; a file that cannot be opened is left to CFITSIO.
void check_fits_header_cards(const std::filesystem::path& file);

}  // namespace specmill
