"""The sync response's body: the fast join gives the plain encoding's bytes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sync_protocol.responses import encode_response, join_response

_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
_records = st.dictionaries(st.text(max_size=6), _values, max_size=5)
_members = st.dictionaries(
    st.text(max_size=8).filter(lambda k: k != "changes"), _values, max_size=6
)


def _texts(records: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(r, separators=(",", ":")) for r in records]


@given(members=_members, records=st.lists(_records, max_size=6))
def test_the_joined_body_is_the_plain_encoding_byte_for_byte(
    members: dict[str, Any], records: list[dict[str, Any]]
) -> None:
    plain = encode_response(members, _texts(records))
    joined = join_response(members, _texts(records))
    assert joined == plain
    assert json.loads(joined) == {"changes": records, **members}


def test_the_join_lets_go_of_the_page_it_was_given() -> None:
    page = _texts([{"seq": 1}, {"seq": 2}])
    body = join_response({"has_more": False}, page)
    assert body == b'{"changes":[{"seq":1},{"seq":2}],"has_more":false}'
    assert page == []
