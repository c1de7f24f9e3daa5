#pragma once
// `verify`: checks a store's catalog against its blocks, without changing anything:
// every block in the catalog exists and opens, its size and ID agree; every catalog row with a
// location points at a block row holding the same SPECOBJID, plate, mjd, fiber, lattice start
// and pixel count; no block file is unreferenced. `deep` also reads every block's pixels and
// checks that each row is zero outside its coverage (what `align` relies on), and where a block
// stores camera spectra (ingest --with-cameras), that each row's brz columns (and resolution)
// equal the merge of its stored cameras (engine/store/verify_extras.hpp). The optional arrays'
// shapes are checked whenever a block opens, deep or not.
#include <filesystem>
#include <string>
#include <vector>

namespace specmill {

struct verify_report {
  size_t blocks = 0;
  size_t rows = 0;           // catalog rows with a location, all contexts
  size_t spectra = 0;        // block rows
  std::vector<std::string> problems;
  // Not problems: leftovers of an interrupted ingest (uncommitted blocks, .tmp files) that no
  // catalog row points at; the next ingest removes them.
  std::vector<std::string> notes;
  bool ok() const { return problems.empty(); }
};

verify_report verify_store(const std::filesystem::path& store, bool deep);

}  // namespace specmill
