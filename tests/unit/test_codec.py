import random

from mostread.codec import pack, pack_mapping_in_chunks, unpack


def test_round_trip_keeps_korean():
    value = {"기사": [1, 2], "title": "많이 본 뉴스 🎉"}
    assert unpack(pack(value)) == value


def test_large_mappings_are_split_below_the_limit():
    rnd = random.Random(7)
    mapping = {f"article-{n}-{rnd.random()}": [rnd.randint(0, 9) for _ in range(6)] for n in range(20000)}
    blobs = pack_mapping_in_chunks(mapping, chunk_bytes=50_000)
    assert len(blobs) > 1
    assert all(len(blob) <= 50_000 for blob in blobs)
    merged: dict[str, list[int]] = {}
    for blob in blobs:
        merged.update(unpack(blob))
    assert merged == mapping


def test_empty_mapping_is_one_blob():
    assert [unpack(blob) for blob in pack_mapping_in_chunks({})] == [{}]
