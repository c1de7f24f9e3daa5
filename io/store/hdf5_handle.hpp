#pragma once
// RAII for HDF5 C-API identifiers and the one way HDF5 failures become exceptions.
//
// Every hid_t the store opens lives in an h5::handle whose close function matches its kind
// (H5Fclose for files, H5Dclose for datasets, ...). h5::check() turns a negative return into
// hdf5_error carrying HDF5's own error-stack text, which HDF5 would otherwise print to stderr.
#include "core/error.hpp"

#include <hdf5.h>

#include <string>
#include <utility>

namespace specmill::h5 {

// An owned hid_t, closed with Close. Non-copyable, movable; an invalid id (<0) is "empty".
template <herr_t (*Close)(hid_t)>
class handle {
 public:
  handle() = default;
  explicit handle(hid_t id) : id_(id) {}
  handle(const handle&) = delete;
  handle& operator=(const handle&) = delete;
  handle(handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)) {}
  handle& operator=(handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  ~handle() { reset(); }

  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }
  // Closes now. The close status is dropped: destructors cannot throw, and a caller that needs
  // the status (the writer, before it fsyncs and renames) calls close() instead.
  void reset() {
    if (id_ >= 0) Close(id_);
    id_ = H5I_INVALID_HID;
  }
  // Closes now and reports failure; used where a failed close means lost data.
  herr_t close() {
    const herr_t status = id_ >= 0 ? Close(id_) : 0;
    id_ = H5I_INVALID_HID;
    return status;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using file = handle<H5Fclose>;
using dataset = handle<H5Dclose>;
using dataspace = handle<H5Sclose>;
using datatype = handle<H5Tclose>;
using plist = handle<H5Pclose>;
using attribute = handle<H5Aclose>;
using group = handle<H5Gclose>;

// Stops HDF5 printing its error stack to stderr. The setting is per thread in a thread-safe
// HDF5 build (Debian's is), so every entry point of the store calls this; it is cheap.
inline void silence_errors() {
  thread_local bool done = false;
  if (!done) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    done = true;
  }
}

// The current thread's HDF5 error stack as one line ("func: message; func: message"), cleared.
inline std::string error_stack() {
  std::string text;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* out) -> herr_t {
        auto& s = *static_cast<std::string*>(out);
        if (!s.empty()) s += "; ";
        s += e->func_name ? e->func_name : "?";
        s += ": ";
        s += e->desc ? e->desc : "";
        return 0;
      },
      &text);
  H5Eclear2(H5E_DEFAULT);
  return text;
}

// Throws hdf5_error("<what>: <HDF5 stack>") when `status` is negative; returns it otherwise.
// Works for hid_t, herr_t and htri_t returns alike.
template <class T>
T check(T status, const std::string& what) {
  if (status < 0) {
    const std::string stack = error_stack();
    throw hdf5_error(what + (stack.empty() ? std::string() : ": " + stack));
  }
  return status;
}

}  // namespace specmill::h5
