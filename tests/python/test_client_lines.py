"""get_emission_lines over the engine's line table (engine/render/emission_lines), local and
remote, and plot(ID, lines=True) marking those lines at the catalog z."""
import numpy as np
import pytest

from client_fixture import real_tuples
from local_fixture import client, client_store, server  # noqa: F401

from specmill import errors

# Vacuum rest wavelengths (Angstrom) of lines every such table has: H-alpha 6564.61 (the
# SDSS vacuum value), [O III] 5008.24, Lyman-alpha 1215.67; checked by name and by value.
KNOWN = {6564.61: "alpha", 5008.24: "5007", 1215.67: "Ly"}


def test_lines_at_a_redshift(client):
    rest = client.get_emission_lines(0.0, 1000, 10000)
    assert rest.dtype.names == ("name", "rest", "observed", "kind")
    assert np.all(np.diff(rest["observed"]) >= 0)
    np.testing.assert_array_equal(rest["rest"], rest["observed"])
    for w, part in KNOWN.items():
        hit = rest[np.abs(rest["rest"] - w) < 0.05]
        assert len(hit) == 1 and part in hit["name"][0], (w, hit)
    z = 0.5
    shifted = client.get_emission_lines(z, 3800, 9200)
    assert len(shifted) > 5
    np.testing.assert_allclose(shifted["observed"], shifted["rest"] * (1 + z), rtol=1e-12)
    assert np.all((shifted["observed"] >= 3800) & (shifted["observed"] <= 9200))
    # the same lines as the rest-frame table restricted by hand
    want = rest[(rest["rest"] * (1 + z) >= 3800) & (rest["rest"] * (1 + z) <= 9200)]
    assert list(shifted["name"]) == list(want["name"])
    assert set(shifted["kind"]) <= {"emission", "absorption"}
    with pytest.raises(errors.InvalidArgumentError):
        client.get_emission_lines(-1.5, 3800, 9200)
    with pytest.raises(errors.InvalidArgumentError):
        client.get_emission_lines(0.1, 9000, 4000)


def test_plot_id_with_lines_marks_the_table_at_z(client, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    t = real_tuples()[0]
    fig, ax = plt.subplots()
    assert client.plot(t, lines=True, ax=ax) is ax
    z = client.get_spectrum(t).z
    lo, hi = ax.get_xlim()
    want = client.get_emission_lines(z, lo, hi)
    marked = sorted(float(l.get_xdata()[0]) for l in ax.get_lines() if l.get_linestyle() == "--")
    assert len(marked) >= 3
    # every marked line is a table line at the catalog z (the plot marks within the data's range)
    for w in marked:
        assert np.min(np.abs(want["observed"] - w)) < 1e-6 * w
    ax.figure.savefig(tmp_path / "p.png")
