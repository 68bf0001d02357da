"""The outbox's typed item and its pure decisions, with plain values: the JSON form read and
written as 0.2.0 wrote it (a file already on a user's disk is delivered, and rewritten in the
same shape), targets as values, times compared as times, and what is due, next, revived,
given up."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Receiver, write_config

from monitor import notify, outbox
from monitor.alerts import Message
from monitor.config import load
from monitor.outbox import BadItem, DigestEntry, OutboxItem, Target, Tries, Waiting
from monitor.store import Store

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HOOK, MAIL = Target("hook", 0), Target("email", 0)

# An outbox file as 0.2.0 wrote it (notify._item, then a failed try to each target, one of
# them since delivered): messages without the later `text` field, next tries to the
# microsecond, the created time to the second.
OUTBOX_0_2_0 = """{
  "alert_id": "scio-117420451-edited-0f3c5e1a9b2d4c6e",
  "source": "scio",
  "kind": "edited",
  "created_at": "2026-11-30T12:00:00+00:00",
  "messages": {
    "email#0": {"title": "[scio] Edited: NIA", "body": "<p>30% → 25%</p>", "format": "html",
                "type": "warning"},
    "hook#0": {"title": "[scio] Edited: NIA", "body": "30% → 25%", "format": "text",
               "type": "warning"}
  },
  "pending": ["hook#0"],
  "attempts": {"email#0": 1, "hook#0": 2},
  "errors": {"hook#0": "delivery failed: HTTP 500"},
  "next_try": {"email#0": "2026-11-30T12:01:00.250000+00:00",
               "hook#0": "2026-11-30T12:03:00.250000+00:00"}
}"""

# A dead one, revived once before and given up again.
DEAD_0_2_0 = """{
  "alert_id": "scio-117420451-removed-77aa", "source": "scio", "kind": "removed",
  "created_at": "2026-11-20T08:00:00+00:00",
  "messages": {"hook#0": {"title": "t", "body": "b", "format": "text", "type": "failure"}},
  "pending": ["hook#0"], "attempts": {"hook#0": 9}, "errors": {"hook#0": "HTTP 503"},
  "next_try": {"hook#0": "2026-11-28T08:00:00+00:00"},
  "revived_at": "2026-11-21T08:00:00+00:00", "dead_reason": "hook#0: HTTP 503"
}"""


def _item(**tries: Tries) -> OutboxItem:
    messages = {HOOK: Message("t", "b", "text"), MAIL: Message("t", "<p>b</p>", "html")}
    item = OutboxItem.new("a", "scio", "edited", NOW, messages)
    return dataclasses.replace(item, tries={Target.parse(k): v for k, v in tries.items()})


# -- targets ------------------------------------------------------------------------------


def test_a_target_is_written_as_name_hash_index_and_read_back() -> None:
    assert str(Target("email", 0)) == "email#0"
    assert Target.parse("ops-mail#12") == Target("ops-mail", 12)
    for bad in ("email", "email#", "#0", "email#x", "email#-1"):
        with pytest.raises(BadItem, match="name#index"):
            Target.parse(bad)


def test_targets_sort_by_channel_then_number_not_as_text() -> None:
    found = sorted(Target.parse(t) for t in ("hook#10", "hook#2", "email#0"))
    assert [str(t) for t in found] == ["email#0", "hook#2", "hook#10"]


# -- the JSON form ------------------------------------------------------------------------


def test_an_item_written_by_0_2_0_is_read_with_typed_targets_times_and_tries() -> None:
    item = OutboxItem.from_json(json.loads(OUTBOX_0_2_0))
    assert item.alert_id == "scio-117420451-edited-0f3c5e1a9b2d4c6e"
    assert item.created_at == NOW
    assert item.pending == (HOOK,)
    assert item.messages[MAIL] == Message(
        "[scio] Edited: NIA", "<p>30% → 25%</p>", "html", "warning"
    )
    assert item.messages[HOOK].text == ""  # before messages had a text part
    assert item.tries_of(HOOK) == Tries(
        2, datetime(2026, 11, 30, 12, 3, 0, 250000, tzinfo=UTC), "delivery failed: HTTP 500"
    )
    assert item.tries_of(MAIL) == Tries(1, datetime(2026, 11, 30, 12, 1, 0, 250000, tzinfo=UTC))
    assert item.revived_at is None and item.dead_reason == ""


def test_an_item_written_by_0_2_0_is_written_back_unchanged() -> None:
    for text in (OUTBOX_0_2_0, DEAD_0_2_0):
        data = json.loads(text)
        again = OutboxItem.from_json(data).to_json()
        for message in again["messages"].values():
            assert message.pop("text") == ""  # the one field this version adds
        assert again == data


def test_a_dead_item_keeps_its_reason_and_when_it_was_revived() -> None:
    item = OutboxItem.from_json(json.loads(DEAD_0_2_0))
    assert item.dead_reason == "hook#0: HTTP 503"
    assert item.revived_at == datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def test_a_new_item_has_0_2_0_s_shape_and_every_target_pending_in_order() -> None:
    message = Message("t", "b", "text")
    messages = {Target("hook", 10): message, Target("hook", 2): message}
    item = OutboxItem.new("a", "scio", "new", NOW, messages)
    assert item.pending == (Target("hook", 2), Target("hook", 10))
    assert item.to_json() == {
        "alert_id": "a",
        "source": "scio",
        "kind": "new",
        "created_at": "2026-11-30T12:00:00+00:00",
        "messages": {
            "hook#10": {"title": "t", "body": "b", "format": "text", "type": "info", "text": ""},
            "hook#2": {"title": "t", "body": "b", "format": "text", "type": "info", "text": ""},
        },
        "pending": ["hook#2", "hook#10"],
        "attempts": {},
        "errors": {},
        "next_try": {},
    }
    assert OutboxItem.from_json(item.to_json()) == item


def test_a_message_field_from_a_later_version_is_left_out_not_fatal() -> None:
    data = json.loads(OUTBOX_0_2_0)
    data["messages"]["hook#0"]["colour"] = "red"
    assert OutboxItem.from_json(data).messages[HOOK].title == "[scio] Edited: NIA"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"alert_id": None}, "alert_id"),
        ({"created_at": ""}, "created_at"),
        ({"created_at": "yesterday"}, "not an outbox item"),
        ({"pending": ["hook"]}, "name#index"),
        ({"attempts": ["hook#0"]}, "attempts"),
        ({"messages": {"hook#0": {"title": "t"}}}, "not an outbox item"),
    ],
)
def test_an_item_that_cannot_be_read_says_why(change: dict, says: str) -> None:
    with pytest.raises(BadItem, match=says):
        OutboxItem.from_json({**json.loads(OUTBOX_0_2_0), **change})


def test_a_time_without_a_zone_is_read_as_utc() -> None:
    data = {**json.loads(OUTBOX_0_2_0), "created_at": "2026-11-30T12:00:00"}
    assert OutboxItem.from_json(data).created_at == NOW


def test_a_digest_entry_written_by_0_2_0_is_read_and_written_back() -> None:
    data = {
        "alert_id": "scio-1-new-aa",
        "kind": "new",
        "created_at": "2026-11-30T12:00:00+00:00",
        "messages": {"hook#0": {"title": "t", "body": "b", "format": "markdown", "type": "info"}},
    }
    entry = DigestEntry.from_json(data)
    assert entry.created_at == NOW and entry.messages[HOOK].format == "markdown"
    again = entry.to_json()
    assert again["messages"]["hook#0"].pop("text") == ""
    assert again == data
    with pytest.raises(BadItem, match="digest entry"):
        DigestEntry.from_json({"kind": "new"})


# -- updates ------------------------------------------------------------------------------


def test_a_failed_try_counts_it_and_waits_the_backoff_without_changing_the_item() -> None:
    item = _item()
    once = item.failed(HOOK, "HTTP 500", NOW, timedelta(seconds=10), timedelta(seconds=25))
    twice = once.failed(HOOK, "HTTP 502", NOW, timedelta(seconds=10), timedelta(seconds=25))
    thrice = twice.failed(HOOK, "HTTP 502", NOW, timedelta(seconds=10), timedelta(seconds=25))
    assert item.tries_of(HOOK) == Tries()  # frozen: an update is a new item
    assert once.tries_of(HOOK) == Tries(1, NOW + timedelta(seconds=10), "HTTP 500")
    assert twice.tries_of(HOOK) == Tries(2, NOW + timedelta(seconds=20), "HTTP 502")
    assert thrice.tries_of(HOOK).next_try == NOW + timedelta(seconds=25)  # the cap
    assert thrice.pending == item.pending


def test_a_sent_target_is_struck_off_and_its_error_forgotten() -> None:
    item = _item().failed(MAIL, "535 auth", NOW).sent(MAIL)
    assert item.pending == (HOOK,)
    assert item.tries_of(MAIL).last_error == "" and item.tries_of(MAIL).attempts == 1
    assert "errors" in item.to_json() and item.to_json()["errors"] == {}
    assert item.sent(HOOK).pending == ()


def test_a_dropped_target_is_struck_off_and_its_error_stays_as_a_reason() -> None:
    item = _item().failed(HOOK, "HTTP 500", NOW).dropped(HOOK)
    assert item.pending == (MAIL,)
    assert item.reasons() == "hook#0: HTTP 500"
    assert _item().reasons() == "undeliverable"


# -- pure decisions -----------------------------------------------------------------------


def test_retry_delay_doubles_from_the_base_up_to_the_cap() -> None:
    base, cap = timedelta(seconds=1), timedelta(seconds=5)
    assert [outbox.retry_delay(n, base, cap).seconds for n in range(1, 6)] == [1, 2, 4, 5, 5]
    assert outbox.retry_delay(1) == timedelta(minutes=1)  # the defaults
    assert outbox.retry_delay(400) == timedelta(hours=6)


def test_a_target_is_due_when_never_tried_or_when_its_next_try_has_come() -> None:
    later = NOW + timedelta(seconds=90)
    item = _item(**{"hook#0": Tries(2, later, "HTTP 500")})
    assert outbox.is_due(item, MAIL, NOW)  # never tried
    assert not outbox.is_due(item, HOOK, NOW)
    assert outbox.is_due(item, HOOK, later)


def test_the_outbox_is_due_at_its_earliest_next_try() -> None:
    later, sooner = (NOW + timedelta(seconds=s) for s in (90, 30))
    item = _item(**{"hook#0": Tries(2, later), "email#0": Tries(1, sooner)})
    assert outbox.next_due([item]) == sooner
    assert outbox.next_due([item.sent(MAIL)]) == later  # a delivered target waits no more
    assert outbox.next_due([item.sent(MAIL).sent(HOOK)]) is None
    assert outbox.next_due([]) is None
    assert outbox.next_due([_item()]) == NOW  # never tried: due since it was created


def test_next_tries_are_compared_as_times_not_as_text() -> None:
    data = json.loads(OUTBOX_0_2_0)
    # 19:00 at +08:00 is 11:00 UTC: earlier than 11:30 UTC, though it sorts later as text.
    data["next_try"] = {"hook#0": "2026-11-30T19:00:00+08:00"}
    other = {**json.loads(OUTBOX_0_2_0), "alert_id": "b"}
    other["next_try"] = {"hook#0": "2026-11-30T11:30:00+00:00"}
    items = [OutboxItem.from_json(d) for d in (other, data)]
    assert outbox.next_due(items) == datetime(2026, 11, 30, 11, 0, tzinfo=UTC)


def test_a_revived_alert_is_due_at_once_its_tries_counted_anew() -> None:
    dead = OutboxItem.from_json(json.loads(DEAD_0_2_0))
    back = outbox.revive(dead, NOW)
    assert back.dead_reason == "" and "dead_reason" not in back.to_json()
    assert back.revived_at == NOW and back.to_json()["revived_at"] == NOW.isoformat()
    assert back.tries_of(HOOK) == Tries(last_error="HTTP 503")  # shown until the next try
    assert outbox.is_due(back, HOOK, NOW) and outbox.next_due([back]) == back.created_at
    assert back.pending == dead.pending and back.messages == dead.messages


def test_an_alert_expires_after_max_age_counted_from_creation_or_revival() -> None:
    week = timedelta(days=7)
    item = _item()
    assert not outbox.expired(item, NOW + week, week)
    assert outbox.expired(item, NOW + week + timedelta(seconds=1), week)
    assert not outbox.expired(item.sent(HOOK).sent(MAIL), NOW + 2 * week, week)  # all sent
    back = outbox.revive(item, NOW + week)
    assert not outbox.expired(back, NOW + 2 * week, week)
    assert outbox.expired(back, NOW + 2 * week + timedelta(seconds=1), week)


def test_waiting_lists_one_row_per_target_still_owed() -> None:
    later = NOW + timedelta(seconds=90)
    item = _item(**{"hook#0": Tries(2, later, "HTTP 500"), "email#0": Tries(1)}).sent(MAIL)
    (row,) = outbox.waiting([item])
    assert row == Waiting("a", "scio", "edited", NOW, HOOK, 2, later, "HTTP 500")
    assert row.to_json() == {
        "alert_id": "a",
        "source": "scio",
        "kind": "edited",
        "created_at": "2026-11-30T12:00:00+00:00",
        "channel": "hook#0",
        "attempts": 2,
        "next_try": later.isoformat(),
        "last_error": "HTTP 500",
    }
    assert Waiting.from_json(row.to_json()) == row
    assert outbox.waiting([_item()])[0].next_try is None  # "now" in the table


# -- on disk ------------------------------------------------------------------------------


def _state(tmp_path: Path, receiver: Receiver) -> tuple[Path, Store]:
    config = write_config(tmp_path / "c.toml", "http://127.0.0.1:9/i.htm", receiver.url)
    return config, Store(load(config).monitor.state_dir)


def test_a_0_2_0_outbox_file_on_disk_is_retried_and_kept_in_its_shape(
    tmp_path: Path, receiver: Receiver
) -> None:
    config_path, store = _state(tmp_path, receiver)
    config = load(config_path)
    (store.root / "outbox").mkdir(parents=True)
    path = store.root / "outbox" / "scio-117420451-edited-0f3c5e1a9b2d4c6e.json"
    path.write_text(OUTBOX_0_2_0, encoding="utf-8")
    (item,) = outbox.load(store)
    assert item.pending == (HOOK,)

    receiver.fail_with = 500  # its next try has come: tried, failed, written back
    later = NOW + timedelta(minutes=5)
    assert asyncio.run(notify.deliver(store, config, later)) == (0, 1)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == set(json.loads(OUTBOX_0_2_0))  # the keys 0.2.0 reads
    assert data["attempts"] == {"email#0": 1, "hook#0": 3}
    assert datetime.fromisoformat(data["next_try"]["hook#0"]) == later + timedelta(minutes=4)
    assert "500" in data["errors"]["hook#0"]

    receiver.fail_with = 0
    assert asyncio.run(notify.deliver(store, config, later + timedelta(minutes=4))) == (1, 0)
    assert receiver.titles() == ["[scio] Edited: NIA"]
    assert not path.exists() and store.was_delivered(item.alert_id)


def test_an_unreadable_item_is_skipped_with_a_warning_and_left_on_disk(
    tmp_path: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    _, store = _state(tmp_path, receiver)
    good = OutboxItem.from_json(json.loads(OUTBOX_0_2_0))
    outbox.put(store, good)
    store.put_alert({"alert_id": "broken", "created_at": "someday", "pending": ["hook#0"]})
    with caplog.at_level(logging.WARNING, logger="monitor.outbox"):
        assert outbox.load(store) == [good]
    assert "'broken' skipped" in caplog.text
    assert (store.root / "outbox" / "broken.json").exists()
    assert outbox.purge(store, ["broken"], dead=False) == [
        "purged 1 waiting alert(s); they will not be sent"
    ]
    assert not (store.root / "outbox" / "broken.json").exists()


def test_the_outbox_is_listed_oldest_first_by_time_not_by_text(
    tmp_path: Path, receiver: Receiver
) -> None:
    _, store = _state(tmp_path, receiver)
    early = {**json.loads(OUTBOX_0_2_0), "alert_id": "z-early"}
    early["created_at"] = "2026-11-30T19:00:00+08:00"  # 11:00 UTC
    late = {**json.loads(OUTBOX_0_2_0), "alert_id": "a-late"}  # 12:00 UTC
    store.put_alert(late)
    store.put_alert(early)
    assert [i.alert_id for i in outbox.load(store)] == ["z-early", "a-late"]
    assert [w.alert_id for w in outbox.listing(store).waiting] == ["z-early", "a-late"]
