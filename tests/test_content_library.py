"""The content API on a real SQLite file: what the admin panel and the CLI call."""

from __future__ import annotations

import pytest

from cxkiosk.content import library

ROW = {"title": "Suits", "kind": "web", "url": "https://example.com/suits", "genders": "male",
       "age_min": 35, "age_max": 60}


def test_add_update_toggle_delete_and_list(db):
    item_id = library.save(ROW)
    assert library.get(item_id).title == "Suits"
    assert library.save({**ROW, "title": "Suits for men"}, item_id) == item_id
    library.set_enabled(item_id, False)
    (row,) = library.listing()
    assert row["id"] == item_id and row["title"] == "Suits for men" and row["enabled"] is False
    assert library.delete(item_id) == "Suits for men"
    assert library.items() == [] and library.delete(item_id) is None


@pytest.mark.parametrize("values,reason", [
    ({**ROW, "url": "ftp://example.com/x"}, "only http"),
    ({**ROW, "kind": "video"}, "needs a local file"),
    ({**ROW, "age_min": 70, "age_max": 20}, "age_min 70 is above age_max 20"),
])
def test_a_bad_change_is_one_clear_reason_and_changes_nothing(db, values, reason):
    with pytest.raises(library.ContentError, match=reason):
        library.save(values)
    assert library.items() == []


def test_the_same_link_and_file_twice_is_refused(db):
    library.save(ROW)
    with pytest.raises(library.ContentError, match="another item already has this link and file"):
        library.save({**ROW, "title": "Copy"})
    assert len(library.items()) == 1
