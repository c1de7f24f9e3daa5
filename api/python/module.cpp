// specmill._engine: the third front beside api/cli and api/rest. It calls the same engine rooms
// (engine/query, engine/get, engine/stack, engine/photometry); nothing of the engine's logic is
// repeated here, only the translation of a request's parameters (as api/rest does).
#include "api/python/py_store.hpp"

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "core/error.hpp"

namespace specmill::python {

py_store::py_store(const std::filesystem::path& root, const std::string& device)
    : root_(root), device_(choose_backend(device)) {
  SPECMILL_EXPECTS(std::filesystem::is_directory(root), "no store at " + root.string());
  store_ = std::make_unique<store>(root, store::access::read);
}

catalog_query& py_store::query() {
  if (!query_) query_ = std::make_unique<catalog_query>(root_);
  return *query_;
}

namespace {

int32_t int_of(const py::handle& v, const char* what) {
  SPECMILL_EXPECTS(py::isinstance<py::int_>(v), std::string("id_list: ") + what + " must be an integer");
  const auto x = v.cast<int64_t>();
  SPECMILL_EXPECTS(x >= 0 && x <= INT32_MAX, std::string("id_list: ") + what + " out of range: " + std::to_string(x));
  return int32_t(x);
}

void add_element(py_store& s, const std::string& context, const py::handle& v, std::vector<spectrum_id>& out) {
  if (py::isinstance<py::int_>(v)) {
    spectrum_id id;
    // The signed spAll form of SPECOBJID is the same 64 bits; anything outside 64 bits is an error.
    const unsigned long long u = PyLong_AsUnsignedLongLong(v.ptr());
    if (u == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
      PyErr_Clear();
      const long long n = PyLong_AsLongLong(v.ptr());
      if (n == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        throw invalid_argument("id_list: " + py::repr(v).cast<std::string>().substr(0, 80) + " is not a 64-bit SPECOBJID");
      }
      id.specobjid = uint64_t(n);
    } else {
      id.specobjid = uint64_t(u);
    }
    id.text = std::to_string(*id.specobjid);
    out.push_back(std::move(id));
    return;
  }
  if (py::isinstance<py::str>(v)) {
    out.push_back(parse_spectrum_id(v.cast<std::string>()));
    return;
  }
  SPECMILL_EXPECTS(py::isinstance<py::sequence>(v), "id_list: bad element " + py::repr(v).cast<std::string>().substr(0, 80));
  const auto seq = v.cast<py::sequence>();
  SPECMILL_EXPECTS(seq.size() >= 1 && seq.size() <= 4, "id_list: bad element " + py::repr(v).cast<std::string>().substr(0, 80));
  const bool range = seq.size() >= 3 && py::isinstance<py::str>(seq[2]);
  if (seq.size() >= 3 && !range) {
    spectrum_id id;  // plate, mjd, fiber (a 4th element, run2d, is ignored: the context decides)
    id.plate = int_of(seq[0], "plate");
    id.mjd = int_of(seq[1], "mjd");
    id.fiberid = int_of(seq[2], "fiberid");
    id.text = std::to_string(id.plate) + "," + std::to_string(id.mjd) + "," + std::to_string(id.fiberid);
    out.push_back(std::move(id));
    return;
  }
  partial_tuple t;
  t.plate = int_of(seq[0], "plate");
  if (seq.size() >= 2) t.mjd = int_of(seq[1], "mjd");
  if (range) {
    const auto text = seq[2].cast<std::string>();
    const auto dash = text.find('-');
    SPECMILL_EXPECTS(dash != std::string::npos, "id_list: a fiber range is 'lo-hi', not '" + text + "'");
    t.fiber_lo = parse_spectrum_id("1," + text.substr(0, dash) + ",1").mjd;  // checked integer parsing
    t.fiber_hi = parse_spectrum_id("1," + text.substr(dash + 1) + ",1").mjd;
    SPECMILL_EXPECTS(t.fiber_lo <= t.fiber_hi, "id_list: a fiber range is 'lo-hi' with lo <= hi, not '" + text + "'");
  }
  t.text = py::repr(v).cast<std::string>();
  auto ids = expand_tuple(s.st().catalog(), context, t);
  out.insert(out.end(), std::make_move_iterator(ids.begin()), std::make_move_iterator(ids.end()));
}

}  // namespace

std::vector<spectrum_id> id_list_of(py_store& s, const std::string& context, const py::handle& elements) {
  std::vector<spectrum_id> out;
  if (py::isinstance<py::str>(elements) || py::isinstance<py::int_>(elements)) {
    add_element(s, context, elements, out);
    return out;
  }
  for (const auto& e : elements) add_element(s, context, e, out);
  SPECMILL_EXPECTS(!out.empty() || py::len(elements) > 0, "an empty id_list");
  return out;
}

}  // namespace specmill::python

PYBIND11_MODULE(_engine, m) {
  namespace sp = specmill::python;
  namespace py = pybind11;
  m.doc() = "specmill's engine in-process (the C++ engine behind specmill.LocalClient)";
  m.attr("version") = SPECMILL_VERSION;
  sp::add_errors(m);
  py::class_<sp::reply_bytes>(m, "Reply", py::buffer_protocol())
      .def_buffer([](sp::reply_bytes& r) {
        return py::buffer_info(r.data.data(), 1, py::format_descriptor<uint8_t>::format(), 1,
                               {py::ssize_t(r.data.size())}, {py::ssize_t(1)}, false);
      })
      .def("__len__", [](const sp::reply_bytes& r) { return r.data.size(); });
  py::class_<sp::py_store> cls(m, "Store");
  cls.def(py::init<const std::filesystem::path&, const std::string&>(), py::arg("root"), py::arg("device") = "cpu",
          "Opens a specmill store (read-only); device: cpu, cuda or auto.")
      .def_property_readonly("root", &sp::py_store::root);
  sp::add_query(m, cls);
  sp::add_get(m, cls);
  sp::add_analysis(m, cls);
  sp::add_render(m, cls);
}
