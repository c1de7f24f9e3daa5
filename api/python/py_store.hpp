#pragma once
// The Python module's handle on a store (api/python): one open store and one guarded catalog
// connection, shared by the calls of one specmill.LocalClient. Each call converts its Python
// arguments first, then runs the engine with the GIL released; results come back as bytes the
// client parses exactly as it parses the REST service's replies (same npz, same CSV), so the
// in-process and the HTTP client return the same types and values.
#include <pybind11/pybind11.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/pipeline/id_list.hpp"
#include "engine/query/query.hpp"
#include "engine/store/store.hpp"
#include "kernels/launch/backend.hpp"

namespace specmill::python {

namespace py = pybind11;

// An engine reply: the bytes of one result (npz, fits, csv), owned here and exposed through the
// buffer protocol, so numpy arrays over it are views, not copies.
struct reply_bytes {
  std::string data;
};

class py_store {
 public:
  py_store(const std::filesystem::path& root, const std::string& device);
  const std::filesystem::path& root() const { return root_; }
  store& st() { return *store_; }
  backend device() const { return device_; }
  // The catalog connection is not thread-safe: callers hold this lock while they use it.
  std::unique_lock<std::mutex> lock_query() { return std::unique_lock<std::mutex>(query_mutex_); }
  catalog_query& query();

 private:
  std::filesystem::path root_;
  std::unique_ptr<store> store_;
  backend device_;
  std::mutex query_mutex_;
  std::unique_ptr<catalog_query> query_;
};

// An id_list as the client sends it to the service (specmill/_ids.py normalize): SPECOBJIDs
// (ints, the signed spAll form too), [plate, mjd, fiber(, run2d)], partial tuples [plate],
// [plate, mjd], [plate, mjd, "lo-hi"] (expanded through the context's catalog, as the service
// does) and ID lines as text. Called with the GIL held.
std::vector<spectrum_id> id_list_of(py_store& s, const std::string& context, const py::handle& elements);

void add_errors(py::module_& m);
void add_query(py::module_& m, py::class_<py_store>& cls);
void add_get(py::module_& m, py::class_<py_store>& cls);
void add_analysis(py::module_& m, py::class_<py_store>& cls);
void add_render(py::module_& m, py::class_<py_store>& cls);

}  // namespace specmill::python
