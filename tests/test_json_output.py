"""A list written item by item is the same bytes as the whole object written at once."""

from __future__ import annotations

import io
import sys

import orjson
from hypothesis import given, strategies as st

from cstool.cli import output

values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=10,
)


@given(st.lists(values, max_size=4), st.dictionaries(st.text(min_size=1, max_size=4), values, min_size=1, max_size=3))
def test_items_written_one_by_one_equal_the_whole(items, head):
    head.pop("records", None)
    head = head or {"kind": "complaint"}
    written = io.BytesIO()
    real_stdout = sys.stdout
    sys.stdout = wrapper = io.TextIOWrapper(written)
    try:
        output.emit_json_with_items(head, "records", [output.json_item(item) for item in items])
    finally:
        sys.stdout = real_stdout
        wrapper.detach()  # closing it would close the bytes it wrote to
    assert written.getvalue() == orjson.dumps({**head, "records": items}, option=orjson.OPT_INDENT_2) + b"\n"
