"""The on-disk Fisher-vector cache: storage, resuming, parts, mixed batches."""

import numpy as np
import pytest

from baselines.encode_cache import SplitCache


def _fill(cache, rng, shards=None):
    """Writes random unit vectors into the given shards; returns {index: vector}."""
    written = {}
    for j in range(cache.n_shards) if shards is None else shards:
        buf = cache.new_shard(j)
        for i in cache.shard_indices(j):
            v = rng.normal(size=cache.fv_dim).astype(np.float32)
            v /= np.linalg.norm(v)
            buf.append(v, int(i) % 3)
            written[int(i)] = v
        buf.commit()
    return written


@pytest.mark.parametrize("dtype,tol", [("float16", 2e-3), ("int8", 1e-2)])
def test_roundtrip_and_streaming(tmp_path, dtype, tol):
    cache = SplitCache(tmp_path / "c", n_images=23, shard_size=5, fv_dim=16, dtype=dtype)
    written = _fill(cache, np.random.default_rng(0))
    assert cache.complete() and cache.n_shards == 5
    stored = np.load(cache.vectors_path(0))
    assert stored.dtype == (np.float16 if dtype == "float16" else np.int8)
    np.testing.assert_array_equal(cache.labels(), np.arange(23) % 3)

    wanted = np.array([0, 4, 5, 17, 22])
    xs, ys, idx = zip(*cache.iter_shards(wanted))
    idx = np.concatenate(idx)
    np.testing.assert_array_equal(idx, wanted)
    np.testing.assert_allclose(np.concatenate(xs), np.stack([written[i] for i in wanted]), atol=tol)
    np.testing.assert_array_equal(np.concatenate(ys), wanted % 3)


def test_missing_shards_and_parts(tmp_path):
    cache = SplitCache(tmp_path / "c", n_images=10, shard_size=3, fv_dim=4, dtype="float16")
    assert cache.missing() == [0, 1, 2, 3]
    assert cache.missing((1, 2)) == [1, 3]
    _fill(cache, np.random.default_rng(1), shards=[1, 2])
    assert cache.missing() == [0, 3] and not cache.complete()
    # A half-written shard (vectors without the meta file) counts as missing.
    cache.vectors_path(0).write_bytes(b"partial")
    assert 0 in cache.missing()


def test_short_shard_is_refused(tmp_path):
    cache = SplitCache(tmp_path / "c", n_images=4, shard_size=4, fv_dim=2, dtype="float16")
    buf = cache.new_shard(0)
    buf.append(np.ones(2, np.float32), 0)
    with pytest.raises(RuntimeError, match="got 1 vectors for 4 images"):
        buf.commit()
    assert not cache.is_done(0)


def test_batches_mix_shards_and_cover_the_selection_once(tmp_path):
    cache = SplitCache(tmp_path / "c", n_images=40, shard_size=10, fv_dim=8, dtype="float16")
    written = _fill(cache, np.random.default_rng(2))
    subset = np.arange(0, 40, 2)
    batches = list(cache.iter_batches(subset, 6, np.random.default_rng(0)))
    assert [len(y) for _, y in batches] == [6, 6, 6, 2]
    x = np.concatenate([b[0] for b in batches])
    seen = [min(written, key=lambda i: np.abs(written[i] - row).max()) for row in x]
    assert sorted(seen) == list(subset)
    # Shards are contiguous (one or two classes each); a batch must span several.
    assert len({i // 10 for i in seen[:6]}) > 1
