"""ZWARNING tests by name inside query constraints, local and remote: the service's SQL functions
zwarning_has(zwarning, 'NAMES') and zwarning_bits('NAMES') (engine/query, in the sandbox), and
specmill.flags.zwarning_has building the term. The sample spectra carry SMALL_DELTA_CHI2 (bit 2)
on a few percent; the expected rows come from the bit test written by hand."""
import pytest

from local_fixture import client, client_store, server  # noqa: F401

from specmill import errors, flags


def test_zwarning_has_selects_the_flagged_rows(client):
    flagged = sorted(client.query(constraint="(zwarning & 4) != 0", primary=False))
    clean = sorted(client.query(constraint="zwarning = 0", primary=False))
    assert flagged and clean  # the sample has both
    term = flags.zwarning_has("SMALL_DELTA_CHI2")
    assert term == "zwarning_has(zwarning, 'SMALL_DELTA_CHI2')"
    assert sorted(client.query(constraint=term, primary=False)) == flagged
    assert sorted(client.query(constraint=flags.zwarning_has(flags.ZWarning.SMALL_DELTA_CHI2), primary=False)) == flagged
    # several names: any of them; lower case accepted by the service
    assert sorted(client.query(constraint="zwarning_has(zwarning, 'sky|small_delta_chi2')", primary=False)) == flagged
    assert sorted(client.query(constraint="NOT " + term, primary=False)) == sorted(
        client.query(constraint="(zwarning & 4) = 0", primary=False))
    assert sorted(client.query(constraint="(zwarning & zwarning_bits('SMALL_DELTA_CHI2,SKY')) = 4",
                               primary=False)) == flagged
    # a name that does not exist is the caller's error, on both paths
    with pytest.raises(errors.InvalidArgumentError, match="unknown ZWARNING name"):
        client.query(constraint="zwarning_has(zwarning, 'NO_SUCH_FLAG')")
    with pytest.raises(ValueError):
        flags.zwarning_has("NO_SUCH_FLAG")
