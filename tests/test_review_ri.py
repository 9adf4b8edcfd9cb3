"""Review RI: the file-ownership checks on the side of the setups they must let through."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from planting import ANOTHER_USER, as_root, invoke
from reintegration_fsm import SqlAlchemyStore, StoreError

AN_OFFICER = 60001
"""The user the command runs as where it is not root (`os.geteuid` answers so)."""


def planted_store(tmp_path: Path, folder: Path) -> Path:
    """A store's tables and no case, made by `ANOTHER_USER` in `folder`, 0666."""
    made = tmp_path / "made.sqlite"
    with SqlAlchemyStore(f"sqlite:///{made}") as store:
        store.create_schema()
    database = folder / "cases.sqlite"
    shutil.copy(made, database)
    os.chown(database, ANOTHER_USER, ANOTHER_USER)
    database.chmod(0o666)
    return database


@as_root
def test_RI1_a_uri_opened_read_write_is_checked_as_a_path_is(tmp_path: Path) -> None:
    """`file:/tmp/cases.sqlite?mode=rw&uri=true` skipped every check RH10 and RH11 added (they
    ran only where SQLite may create the file), so a store another user made in /tmp, or a
    link of theirs there, was given every case `demo` saved. Refused now as the path is."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    database = planted_store(tmp_path, shared)
    uri = f"sqlite:///file:{database}?mode=rw&uri=true"
    with pytest.raises(StoreError, match="belongs to another user"):
        SqlAlchemyStore(uri)
    code, out, err = invoke("--db", uri, "demo")
    assert code == 3, out + err
    assert "in a folder anyone may write" in err
    link = shared / "link.sqlite"
    link.symlink_to(tmp_path / "made.sqlite")
    os.lchown(link, ANOTHER_USER, ANOTHER_USER)
    with pytest.raises(StoreError, match="is a link of another user"):
        SqlAlchemyStore(f"sqlite:///file:{link}?mode=rw&uri=true")
    with SqlAlchemyStore(f"sqlite:///file:{tmp_path / 'made.sqlite'}?mode=rw&uri=true") as store:
        assert store.taken(["C-1"]) == set()  # the user's own store opens so as before


@as_root
def test_RI2_an_empty_file_root_or_the_folders_owner_made_becomes_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An administrator's empty file (`install -m 660 -g officers /dev/null cases.sqlite`) was
    refused to the officer who ran `db upgrade` ("belongs to another user (uid 0)"), and root's
    `db upgrade` refused a service account's empty file in its own folder: root reads every
    file anyway, and a folder's owner may replace any file in it. Both become the store."""
    provisioned = tmp_path / "provisioned.sqlite"
    provisioned.touch(mode=0o660)  # root's, as the test runs as root
    with monkeypatch.context() as officer:
        officer.setattr(os, "geteuid", lambda: AN_OFFICER)
        with SqlAlchemyStore(f"sqlite:///{provisioned}") as store:
            store.create_schema()
    assert provisioned.stat().st_size > 0
    service = tmp_path / "service"
    service.mkdir()
    theirs = service / "cases.sqlite"
    theirs.touch(mode=0o600)
    for path in (service, theirs):
        os.chown(path, ANOTHER_USER, ANOTHER_USER)
    code, out, err = invoke("--db", str(theirs), "db", "upgrade")
    assert code == 0, out + err
    assert theirs.stat().st_size > 0
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    planted = shared / "cases.sqlite"
    planted.touch(mode=0o666)
    os.chown(planted, ANOTHER_USER, ANOTHER_USER)  # in a folder not theirs: refused as before
    with pytest.raises(StoreError, match="the file is empty and belongs to another user"):
        SqlAlchemyStore(f"sqlite:///{planted}")


@as_root
def test_RI3_a_colleagues_store_in_a_sticky_group_folder_opens(tmp_path: Path) -> None:
    """A colleague's store in a group's sticky folder (`chmod 3770`) was refused as lying "in a
    folder anyone may write", which it does not: the group shares it on purpose. Only a
    folder anyone may write (/tmp, 1777) refuses another user's store, as Linux's
    `fs.protected_regular` does at its usual level."""
    group = tmp_path / "group"
    group.mkdir()
    group.chmod(0o3770)
    database = planted_store(tmp_path, group)
    code, out, err = invoke("--db", str(database), "demo")
    assert code == 0, out + err
    anyone = tmp_path / "anyone"
    anyone.mkdir()
    anyone.chmod(0o1777)
    database = planted_store(tmp_path, anyone)
    code, out, err = invoke("--db", str(database), "demo")
    assert code == 3, out + err
    assert "in a folder anyone may write" in err
