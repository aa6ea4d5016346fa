"""The fast event encoder writes exactly what the plain encoder writes, in every form."""

from __future__ import annotations

import json
import uuid

from hypothesis import given
from hypothesis import strategies as st

from sync_protocol.encoders import EventValues, Form, encode, encode_event, event_data
from sync_protocol.messages import ChangeType, EventKind, Side
from sync_protocol.records import hyphenated

_ids = st.uuids().flatmap(lambda u: st.sampled_from([str(u), u.hex]))
_times = st.none() | st.datetimes().map(lambda t: t.isoformat() + "Z")
_events = st.builds(
    EventValues,
    id=_ids,
    match_id=_ids,
    kind=st.sampled_from([k.value for k in EventKind]),
    side=st.sampled_from([s.value for s in Side]),
    period=st.integers(1, 9),
    minute=st.integers(0, 150),
    stoppage=st.integers(0, 30),
    player_id=st.none() | _ids,
    replaced_player_id=st.none() | _ids,
    note=st.none() | st.text(max_size=20),
    recorded_at=_times,
    assist_player_id=st.none() | _ids,
    deleted=st.booleans() | st.sampled_from([0, 1]),
    seq=st.integers(1, 10**9),
)


@given(event=_events, form=st.sampled_from(list(Form)))
def test_the_event_encoder_writes_what_the_plain_encoder_writes(
    event: EventValues, form: Form
) -> None:
    data = None if event.deleted else event_data(event)
    plain = encode(
        ChangeType.EVENT, hyphenated(event.id), hyphenated(event.match_id), event.seq, data, form
    )
    assert encode_event(event, form) == plain
    assert json.loads(plain)["seq"] == event.seq


def test_a_live_event_leaves_out_the_coachs_note_and_a_bare_one_has_no_hyphens() -> None:
    event_id, match_id = uuid.uuid4(), uuid.uuid4()
    event = EventValues(
        str(event_id), str(match_id), "goal", "team", 1, 3, 0, None, None, "Zara's cousin",
        None, None, False, 7,
    )  # fmt: skip
    live = json.loads(encode_event(event, Form.LIVE))
    assert live == {
        "type": "event",
        "id": str(event_id),
        "seq": 7,
        "data": {"kind": "goal", "side": "team", "period": 1, "minute": 3, "stoppage": 0},
    }
    bare = json.loads(encode_event(event, Form.BARE))
    assert (bare["id"], bare["space"]) == (event_id.hex, match_id.hex)
    assert bare["data"]["note"] == "Zara's cousin"
