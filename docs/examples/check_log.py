"""Check a reintegration_fsm audit log without reintegration_fsm.

Usage: python check_log.py DATABASE [CHECKPOINT.json [PUBLIC_KEY.pem]]

DATABASE is the store's SQLite file; at_rest.json lies beside this script. The script checks,
from the rows alone:
- that each log entry and redaction record reads as the store writes it (whole numbers for its
  numbers, text in its columns of text, its times and days as the store writes them): one that
  does not is reported, and its hashes are not made. A time is read one way, for its hash and
  for the clocks: the driver's time without a zone (PostgreSQL, MariaDB), or on SQLite the text
  the store writes, 2026-01-12 09:30:00.000000 (an offset, a "T", no fraction or text after it
  is a row changed behind the store); a day is the driver's date or 2026-01-12;
- each log entry's hash, and that each entry follows the one before it;
- each entry's data and actor against its payload digest (the data column put back in full as
  at_rest.json says; JSON that gives a key twice is refused, as the store never writes it),
  and, for an entry written since schema revision 0011 (digest scheme 3), that its keys are
  bytes of their length, that it keeps a leaf key for each value it holds and none that lets a
  removed value be guessed, and leaf keys only once a value was removed;
- each case row: its version is its last entry's number, its last hash that entry's hash;
- each redaction record's hash, and that each follows the one before it;
- that no entry is recorded before the entry it follows, and no redaction record before the
  entry it redacts or the record it follows, by more than clocks differ (CLOCK_SLACK);
- with a checkpoint, its root, and that every case, entry and record it anchors still has the
  hash it anchored; that no entry or record after those it anchors is recorded before it was
  taken (by more than CLOCK_SLACK); with a public key too, its Ed25519 signature (this needs
  `cryptography`).

It prints each problem found and exits 1, or prints what it checked and exits 0 (saying whether
a checkpoint was given, and whether its signature was checked); it exits 2, saying why in one
line, when it cannot read the database, the checkpoint (a field missing or of the wrong kind,
named), the key (a file that is not an Ed25519 public key in PEM: not a key, a private key, a
key of another kind) or at_rest.json beside it, which say nothing of the log's hashes. It needs
only Python's standard library (but for a signature), so that anyone can read it and run it.
"""

import base64
import datetime
import hashlib
import json
import os
import pathlib
import re
import sqlite3
import sys

GENESIS = "0" * 64
CLOCK_SLACK = datetime.timedelta(minutes=10)
"""How far a record may be stamped before the one it follows and be put down to clocks: each
entry and redaction record is stamped by the clock of the process that wrote it."""


def canonical(value):
    """The log's JSON: sorted keys, no spaces, UTF-8 (no \\u escapes), no floats."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hexed(value):
    """A digest or hash as hex text (the log keeps its own as bytes); anything else (a number
    put in its place) as Python writes it, which no hash equals."""
    if isinstance(value, str):
        return value
    return bytes(value).hex() if binary(value) else repr(value)


STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}")
"""A stored time as SQLite holds it: the store writes every one so, to the microsecond."""
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def read_time(value):
    """A stored time (UTC), read one way for its hash and for the clocks: PostgreSQL's and
    MariaDB's drivers give a time without a zone, and SQLite the text the store writes,
    2026-01-12 09:30:00.000000. None for anything else (an offset, a "T", text after it, no
    fraction): a row changed behind the store, which another reader could read as another time."""
    if type(value) is datetime.datetime:
        return value if value.tzinfo is None else None
    if isinstance(value, str) and STAMP.fullmatch(value):
        try:
            return datetime.datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%f")
        except ValueError:  # no such day or hour (2026-02-30, 25:00)
            return None
    return None


def read_day(value):
    """A stored day: the driver's date, or SQLite's text 2026-01-12; None for anything else."""
    if type(value) is datetime.date:
        return value
    if isinstance(value, str) and DAY.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def moment(value):
    """A stored time as the hashes hold it: 2026-01-12T09:30:00Z (UTC, whole seconds)."""
    return read_time(value).isoformat(timespec="seconds") + "Z"


def taken_time(value):
    """A checkpoint's "taken_at" (2026-01-12T09:30:00Z, as it is written and signed) as a time
    without its zone; None for any other text."""
    if not isinstance(value, str) or not re.fullmatch(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", value
    ):
        return None
    try:
        return datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None


def dated_back(stamp, before, then):
    """When a record is stamped before `then`, the time of `before`, by more than CLOCK_SLACK,
    says so (else None)."""
    if stamp is None or then is None or stamp >= then - CLOCK_SLACK:
        return None
    return f"recorded at {stamp:%Y-%m-%d %H:%M}, before {before} ({then:%Y-%m-%d %H:%M})"


def entry_hash(row, previous):
    """An entry's hash, from its row and the hash of the entry before it (GENESIS for none)."""
    fields = {name: row[name] for name in ("case_id", "seq", "trigger_name", "source", "dest")}
    fields["actor_role"] = row["actor_role"]
    fields["actor_organisation"] = row["actor_organisation"]
    fields["on_date"] = str(row["on_date"])
    fields["recorded_at"] = moment(row["recorded_at"])
    fields["payload_digest"] = hexed(row["payload_digest"])
    fields["prev_hash"] = previous
    if row["payload_salt"] is None:  # written before schema revision 0003
        fields["actor_id"], fields["actor_name"] = row["actor_id"], row["actor_name"]
    else:
        fields["scheme"] = scheme(row)
    return sha256(canonical(fields))


KEY_BYTES = 16
"""The length of a payload key and of each leaf key."""


def binary(value):
    """Whether a column holds bytes (as each engine's driver hands them), not text."""
    return isinstance(value, (bytes, bytearray, memoryview))


ENTRY_TEXT = ("case_id", "trigger_name", "source", "dest", "data")
ENTRY_TEXT += ("actor_id", "actor_name", "actor_role", "actor_organisation")
RECORD_TEXT = ("case_id", "reason", "paths", "actor_id", "actor_name", "actor_role")
RECORD_TEXT += ("actor_organisation", "payload_digest")


def misread(row, numbers, texts, times, days=()):
    """Why a row does not read as the store writes it (a number that is not a whole number, a
    column of text holding bytes or a number, a time or day not as the store writes it), or
    None: its hashes cannot be made from it."""
    for name in numbers:
        if not isinstance(row[name], int) or isinstance(row[name], bool):
            return f"its {name} is not a whole number"
    for name in texts:
        if row[name] is not None and not isinstance(row[name], str):
            return f"its {name} is not text"
    for name in times:
        if read_time(row[name]) is None:
            return f"its {name} {row[name]!r} is not a time as the store writes it"
    for name in days:
        if row[name] is not None and read_day(row[name]) is None:
            return f"its {name} {row[name]!r} is not a day as the store writes it"
    return None


def scheme(row):
    """A salted entry's digest scheme: 3 (written since schema revision 0011) when it holds a
    payload key or the leaf keys a redaction kept, else 2 (its salt alone)."""
    return 2 if row["payload_key"] is None and row["leaf_keys"] is None else 3


RECORD_FIELDS = ("case_id", "seq", "number", "reason", "paths", "actor_id", "actor_name")
RECORD_FIELDS += ("actor_role", "actor_organisation", "payload_digest")


def record_hash(row, previous):
    """A redaction record's hash, from its row and the hash it follows: the entry's hash for
    the entry's first record, else the hash of the entry's record before it."""
    fields = {name: row[name] for name in RECORD_FIELDS}
    fields["redacted_at"] = moment(row["redacted_at"])
    on = row["redacted_on"]
    fields["redacted_on"] = None if on is None else read_day(on).isoformat()
    fields["previous"] = previous
    return sha256(canonical(fields))


REDACTED = "$redacted"
HEX64 = re.compile("[0-9a-f]{64}")


def marker(value):
    """The digest a redaction left in place of a value ({"$redacted": digest}), or None."""
    if isinstance(value, dict) and list(value) == [REDACTED]:
        found = value[REDACTED]
        if isinstance(found, str) and HEX64.fullmatch(found):
            return found
    return None


def object_digest(children):
    return hashlib.sha256(b"\x01" + canonical(children).encode("utf-8")).hexdigest()


def path_text(path):
    """A path as its leaf key is made from it: its JSON without the brackets ("data","form",0)."""
    return canonical(path)[1:-1]


def tree(salt, path, value, keys=None):
    """The digest of a value at `path` (a list of keys and indices) in an entry's salted tree;
    `keys` (scheme 3): each leaf's key, by its path text."""
    if marker(value) is not None:
        return marker(value)
    if isinstance(value, dict):
        items = value.items()
        return object_digest({key: tree(salt, [*path, key], item, keys) for key, item in items})
    if isinstance(value, list):
        children = [tree(salt, [*path, index], item, keys) for index, item in enumerate(value)]
        return hashlib.sha256(b"\x02" + canonical(children).encode("utf-8")).hexdigest()
    key = b"" if keys is None else keys[path_text(path)]
    leaf = canonical([path, value]).encode("utf-8")
    return hashlib.sha256(b"\x00" + salt + key + leaf).hexdigest()


def column_marker(value):
    """The digest a redaction left in an actor column ("$redacted:" and it), or None."""
    found = value[len(REDACTED) + 1 :] if value.startswith(REDACTED + ":") else ""
    return found if HEX64.fullmatch(found) else None


class KeyTwice(ValueError):
    """Data whose JSON gives a key twice in one object."""


def unique_keys(pairs):
    """An object of the data, refused if it gives a key twice: `json.loads` would keep the last
    and ignore the first, which the store never writes (the first could hold a removed value in
    clear before the marker its redaction left)."""
    found = dict(pairs)
    if len(found) != len(pairs):
        names = [name for name, _ in pairs]
        raise KeyTwice(next(name for name in names if names.count(name) > 1) + " is given twice")
    return found


def payload_digest(row, data, keys=None):
    """The root of an entry's tree over its actor's id and name and its data (in full)."""
    salt, actor = bytes(row["payload_salt"]), {}
    for field in ("id", "name"):
        value = row[f"actor_{field}"]
        actor[field] = column_marker(value) or tree(salt, ["actor", field], value, keys)
    data = tree(salt, ["data"], data, keys)
    return object_digest({"actor": object_digest(actor), "data": data})


def leaves(row, data):
    """The paths of an entry's values (its actor's id and name, and each string, number,
    boolean and null in its data), and of those a redaction removed (the digests it left)."""
    held, gone = [], []
    for field in ("id", "name"):
        (gone if column_marker(row[f"actor_{field}"]) else held).append(["actor", field])
    pending = [(["data"], data)]
    while pending:
        path, value = pending.pop()
        if marker(value) is not None:
            gone.append(path)
        elif isinstance(value, dict):
            pending += [([*path, key], item) for key, item in value.items()]
        elif isinstance(value, list):
            pending += [([*path, index], item) for index, item in enumerate(value)]
        else:
            held.append(path)
    return held, gone


def is_form(value):
    return isinstance(value, dict) and REDACTED not in value


def expanded(form, shape):
    """A form as recorded: its fields left out at rest, at their defaults, put back."""
    form = {**shape["defaults"], **form}
    for name, inner in shape["nested"].items():
        value = form.get(name)
        if inner["many"] and isinstance(value, list):
            form[name] = [expanded(v, inner["shape"]) if is_form(v) else v for v in value]
        elif not inner["many"] and is_form(value):
            form[name] = expanded(value, inner["shape"])
    return form


def obligation(item, bases):
    """An opened obligation as recorded: its due date and basis put back where left out (null,
    ""), and a basis named by its regulation's key put back in full."""
    if not is_form(item):
        return item
    item = {"due": None, "basis": "", **item}
    if isinstance(item["basis"], str):
        item["basis"] = bases.get(item["basis"], item["basis"])
    return item


def in_full(trigger, data, layout):
    """An entry's data as recorded, from its data column (parsed) and at_rest.json (`layout`)."""
    if isinstance(data, dict) and list(data) == ["$full"]:
        return data["$full"]  # kept in full, wrapped
    forms = layout["forms"].get(trigger)
    if forms is None or not isinstance(data, dict) or data.get("schema") != layout["schema"]:
        return data
    data = dict(data)
    for name, shape in forms.items():
        if is_form(data.get(name)):
            data[name] = expanded(data[name], shape)
    if isinstance(data.get("opened"), list):
        data["opened"] = [obligation(item, layout["bases"]) for item in data["opened"]]
    return data


def check_log(db, layout, checkpoint=None):
    """The problems of the log, the case rows and the redaction records (with a checkpoint,
    of their times against it too), and the hashes they hold: {case_id: {seq: entry hash}} and
    {(case_id, seq, number): record hash}."""
    problems, entries, records, removed, named, unread = [], {}, {}, {}, {}, set()
    keyed = set()  # the entries written since revision 0011, holding keys
    stamps, latest = {}, {}  # each entry's and record's time; each case's latest so far
    for row in db.execute("SELECT * FROM rfsm_transitions ORDER BY case_id, seq"):
        hashes = entries.setdefault(row["case_id"], {})
        where = f"{row['case_id']} entry {row['seq']}"
        wrong = misread(row, ("seq",), ENTRY_TEXT, ("recorded_at",))
        if wrong is not None:
            problems.append(f"{where}: it does not read as the store writes it ({wrong})")
            unread.add((row["case_id"], row["seq"]))
            if isinstance(row["seq"], int):  # the next entry follows the hash it holds
                hashes[row["seq"]] = hexed(row["hash"])
            continue
        before = max(hashes, default=0)
        if row["seq"] != before + 1:
            problems.append(f"{where}: follows entry {before}")
        # Each entry's hash covers the hash the entry before it holds: a row changed after
        # it was written is found at that row, and a row changed with its hash rewritten too
        # at the next one.
        if entry_hash(row, hashes.get(row["seq"] - 1, GENESIS)) != hexed(row["hash"]):
            problems.append(f"{where}: its hash is not the hash of its row")
        hashes[row["seq"]] = hexed(row["hash"])
        # Each entry is stamped when it is written: one stamped before an entry it follows
        # was written later and dated back.
        stamp = stamps[row["case_id"], row["seq"]] = read_time(row["recorded_at"])
        seq, then = latest.get(row["case_id"], (None, None))
        if (late := dated_back(stamp, f"entry {seq}", then)) is not None:
            problems.append(f"{where}: {late}: dated back")
        if stamp is not None and (then is None or stamp >= then):
            latest[row["case_id"]] = (row["seq"], stamp)
        if row["payload_key"] is not None or row["leaf_keys"] is not None:
            keyed.add((row["case_id"], row["seq"]))
        wrong, gone = payload_problems(row, layout)
        problems += [f"{where}: {problem}" for problem in wrong]
        if gone is None:  # its data does not read: what was removed from it is not known
            unread.add((row["case_id"], row["seq"]))
        elif gone:
            removed[row["case_id"], row["seq"]] = gone
    unmatched, authorities = dict(entries), {}
    for row in db.execute("SELECT case_id, version, last_hash, authority FROM rfsm_cases"):
        hashes = unmatched.pop(row["case_id"], {})
        authorities[row["case_id"]] = row["authority"]
        if len(hashes) != row["version"] or hashes.get(row["version"]) != row["last_hash"]:
            problems.append(f"{row['case_id']}: the case row is not its log's last entry")
    problems += [f"{case_id}: a log with no case row" for case_id in unmatched]
    latest = {}  # each entry's latest time so far: its own, then its records'
    for row in db.execute("SELECT * FROM rfsm_redactions ORDER BY case_id, seq, number"):
        case_id, seq, number = key = row["case_id"], row["seq"], row["number"]
        where = f"{case_id} entry {seq}: redaction record {number}"
        wrong = misread(row, ("seq", "number"), RECORD_TEXT, ("redacted_at",), ("redacted_on",))
        if wrong is not None:
            problems.append(f"{where} does not read as the store writes it ({wrong})")
            unread.add((case_id, seq))
            if is_whole((seq, number)):  # the next record follows the hash it holds
                records[key] = row["hash"]
            continue
        if number == 1:  # it follows the entry it redacts
            previous = entries.get(case_id, {}).get(seq)
            missing = f"{where} is of no entry"
        else:
            previous = records.get((case_id, seq, number - 1))
            missing = f"{where} follows no record {number - 1}"
        if previous is None:
            problems.append(missing)
        elif record_hash(row, previous) != row["hash"]:
            problems.append(f"{where} was altered")
        records[key] = row["hash"]
        stamp = stamps[key] = read_time(row["redacted_at"])
        before, then = latest.get((case_id, seq), ("the entry", stamps.get((case_id, seq))))
        if (late := dated_back(stamp, before, then)) is not None:
            problems.append(f"{where}: {late}: dated back")
        if stamp is not None and (then is None or stamp > then):
            latest[case_id, seq] = (f"record {number}", stamp)
        if row["paths"] is None:  # a note of revision 2's manual redaction, which the 0003
            # upgrade kept as the first record of an entry written before it, naming no one
            named_anyone = any(row[f"actor_{part}"] for part in ("id", "name", "role"))
            if number != 1 or (case_id, seq) in keyed or named_anyone or row["redacted_on"]:
                problems.append(f"{where} is a note without paths where none was left")
        else:
            try:
                paths = json.loads(row["paths"])
            except ValueError:
                paths = None
            if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
                problems.append(f"{where}: its paths are not a list of paths")
                paths = []
            named.setdefault((case_id, seq), set()).update(paths)
    # A value put back where a redaction left its digest leaves the tree's root as it was, and
    # a value removed with no record leaves it too: the records must name what was removed.
    for case_id, seq in sorted((set(removed) | set(named)) - unread):
        said, done = named.get((case_id, seq), set()), removed.get((case_id, seq), set())
        for path in sorted(said - done):
            problems.append(f"{case_id} entry {seq}: a record names {path}, which holds a value")
        for path in sorted(done - said):
            problems.append(f"{case_id} entry {seq}: {path} was removed with no record")
    if checkpoint is not None:
        problems += written_after(checkpoint, entries, records, stamps, authorities)
    return problems, entries, records


def is_whole(numbers):
    return all(isinstance(number, int) for number in numbers)


def written_after(checkpoint, entries, records, stamps, authorities):
    """The entries and redaction records after those a checkpoint anchors that are recorded
    before it was taken: written after it, and dated back. A checkpoint of one authority's
    cases holds all of them: so are its cases it does not hold (opened after it)."""
    problems = []
    taken = taken_time(checkpoint["taken_at"])
    scope, held = checkpoint.get("authority"), {c["case_id"]: c for c in checkpoint["cases"]}
    for case_id in sorted(entries):
        case = held.get(case_id)
        if case is None and scope is not None and authorities.get(case_id) != scope:
            continue  # another authority's case: the checkpoint does not speak of it
        version = 0 if case is None else case["version"]
        heads = {} if case is None else {seq: n for seq, n, _ in case.get("redactions", [])}
        at = f"entry {version}" if version else "no entry"
        for seq in sorted(seq for seq in entries[case_id] if isinstance(seq, int)):
            late = dated_back(stamps.get((case_id, seq)), "the checkpoint", taken)
            if seq > version and late is not None:
                problems.append(
                    f"{case_id} entry {seq}: {late}, which held the case at {at}: written after "
                    "it and dated back"
                )
        if checkpoint["format_version"] < 2:  # format 1 holds no redaction records
            continue
        for key in sorted(k for k in records if k[0] == case_id and is_whole(k[1:])):
            late = dated_back(stamps.get(key), "the checkpoint", taken)
            kept = heads.get(key[1], 0)
            if key[2] > kept and late is not None:
                problems.append(
                    f"{case_id} entry {key[1]}: redaction record {key[2]}: {late}, which held "
                    f"{kept} of the entry's: written after it and dated back"
                )
    return problems


def payload_problems(row, layout):
    """What is wrong with an entry's data, actor and keys against its payload digest, and the
    values a redaction removed from it, by their dotted paths ("form.parent_name"): None when
    its data does not read."""
    if row["payload_salt"] is None:  # written before schema revision 0003: its text's digest
        if sha256(row["data"]) != hexed(row["payload_digest"]):
            return ["its data is not what its payload digest says"], set()
        return [], set()
    if not binary(row["payload_salt"]):
        return ["its salt is not bytes"], None
    try:
        parsed = json.loads(row["data"], object_pairs_hook=unique_keys)
        data = in_full(row["trigger_name"], parsed, layout)
    except KeyTwice:
        return ["its data is not JSON the store wrote (a key given twice)"], None
    except ValueError:
        return ["its data is not JSON"], None
    held, gone = leaves(row, data)
    removed = {".".join(map(str, p if p[0] == "actor" else p[1:])) for p in gone}
    problems, keys = [], None
    texts = sorted(path_text(path) for path in held)  # by code point
    if row["payload_key"] is not None:  # scheme 3, never redacted: each key made from it
        secret = row["payload_key"]
        if not binary(secret) or len(secret) != KEY_BYTES:
            return ["its payload key is not 16 bytes"], removed
        secret = bytes(secret)
        keys = {
            t: hashlib.blake2b(t.encode(), key=secret, digest_size=KEY_BYTES).digest()
            for t in texts
        }
        if row["leaf_keys"] is not None:
            problems.append("it holds both a payload key and leaf keys")
        elif gone:
            problems.append("its payload key is kept beside a removed value: it can be guessed")
    elif row["leaf_keys"] is not None:  # scheme 3, redacted: the keys of the values left
        if not gone:  # only a redaction replaces the payload key with them
            problems.append("it keeps leaf keys but no removed value")
        kept = row["leaf_keys"]
        if not binary(kept) or len(kept) != KEY_BYTES * len(texts):
            # A value added or put back has no key; a value made a digest leaves one over.
            return [*problems, "its leaf keys are not one for each value it holds"], removed
        kept = bytes(kept)
        keys = {t: kept[KEY_BYTES * n : KEY_BYTES * (n + 1)] for n, t in enumerate(texts)}
    if payload_digest(row, data, keys) != hexed(row["payload_digest"]):
        problems.append("its data or actor is not what its payload digest says")
    return problems, removed


def merkle_root(leaves):
    """RFC 6962's Merkle tree hash of leaf hashes (bytes)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    split = 1
    while split * 2 < len(leaves):
        split *= 2
    left, right = merkle_root(leaves[:split]), merkle_root(leaves[split:])
    return hashlib.sha256(b"\x01" + left + right).digest()


def extends(case, hashes):
    """How a case's log (its entries' hashes by seq) no longer extends the checkpoint's case,
    in verify()'s words; None when it does."""
    version = case["version"]
    if not hashes:
        return f"gone: the checkpoint holds it at version {version}, the log holds no entry of it"
    if version not in hashes:
        last = max(hashes)
        if last < version:
            return f"truncated: the checkpoint holds version {version}, the log ends at {last}"
        return f"rewritten: the checkpoint holds entry {version}, which the log does not hold"
    if hashes[version] != case["last_hash"]:
        return (
            f"rewritten: entry {version}'s hash differs from the checkpoint's, so the log no "
            "longer extends it"
        )
    return None


def check_checkpoint(checkpoint, entries, records, public_key=None):
    """The problems of a checkpoint, and of the log against what it anchors."""
    problems, leaves = [], []
    for case in checkpoint["cases"]:
        held = [case["case_id"], case["version"], case["last_hash"]]
        if checkpoint["format_version"] >= 2:
            held.append(case["redactions"])
        leaves.append(hashlib.sha256(b"\x00" + canonical(held).encode("utf-8")).digest())
        problem = extends(case, entries.get(case["case_id"], {}))
        if problem:
            problems.append(f"{case['case_id']}: {problem}")
        for seq, number, hash_ in case.get("redactions", []):
            if records.get((case["case_id"], seq, number)) != hash_:
                problems.append(f"{case['case_id']} entry {seq}: record {number} not anchored")
    if merkle_root(leaves).hex() != checkpoint["root"] or len(leaves) != checkpoint["size"]:
        problems.append("the checkpoint's root is not the root of its cases")
    if public_key is not None:
        problems += check_signature(checkpoint, public_key)
    return problems


class Unreadable(ValueError):
    """A file that is not what the script needs: a checkpoint, an Ed25519 public key."""


def need(condition, field, problem):
    if not condition:
        raise Unreadable(f"{field}: {problem}")


def public_key(pem):
    """The Ed25519 public key in PEM text (bytes). Raises Unreadable, saying what it is not."""
    try:
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
    except ImportError:
        raise Unreadable(
            "checking a signature needs cryptography: pip install cryptography"
        ) from None
    try:
        key = load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        text = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise Unreadable(f"cannot be read as a PEM key ({text})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise Unreadable("is not an Ed25519 public key")
    return key


def check_signature(checkpoint, public_key_pem):
    """The problem of a checkpoint's Ed25519 signature, if any. Raises Unreadable when the key
    is not an Ed25519 public key in PEM: that says nothing of the signature."""
    from cryptography.exceptions import InvalidSignature

    key = public_key(public_key_pem)
    if checkpoint["signature"] is None:
        return ["the checkpoint is not signed"]
    signed = {name: checkpoint[name] for name in ("format", "format_version", "taken_at")}
    signed.update(authority=checkpoint["authority"], size=checkpoint["size"])
    signed["root"] = checkpoint["root"]
    try:
        signature = base64.b64decode(checkpoint["signature"]["value"], validate=True)
        key.verify(signature, canonical(signed).encode())
    except (InvalidSignature, ValueError):  # (a value that is not base64 signs nothing)
        return ["the checkpoint's signature is not the key's signature of it"]
    return []


FORMAT = "reintegration-fsm/checkpoint"
FIELDS = ("format", "format_version", "taken_at", "authority", "size", "root", "cases")
FIELDS += ("signature",)
HEAD = "a list of [seq, count, hash] lists: two whole numbers >= 1 and 64 hex digits, by seq"


def whole(value, least=0):
    return type(value) is int and value >= least


def read_checkpoint(path):
    """The checkpoint in the file at `path`, each field it needs checked as the library checks
    it. Raises ValueError (Unreadable naming the field; OSError for a file that cannot be
    opened) when it cannot be read as one."""
    with open(path, encoding="utf-8") as file:
        checkpoint = json.load(file, object_pairs_hook=unique_keys)  # all ValueErrors
    need(isinstance(checkpoint, dict), "the file", "is not a JSON object")
    for name in sorted(set(checkpoint) - set(FIELDS)):
        need(False, name, "is not a checkpoint's field")
    for name in FIELDS:
        need(name in checkpoint, name, "is missing")
    need(checkpoint["format"] == FORMAT, "format", f"is not {FORMAT!r}")
    version = checkpoint["format_version"]
    need(whole(version) and version in (1, 2), "format_version", "is not 1 or 2")
    at = checkpoint["taken_at"]
    need(taken_time(at) is not None, "taken_at", f"{at!r} is not a time (2026-01-12T09:30:00Z)")
    authority = checkpoint["authority"]
    need(authority is None or isinstance(authority, str), "authority", "is not text or null")
    root = checkpoint["root"]
    need(isinstance(root, str) and HEX64.fullmatch(root), "root", "is not 64 hex digits")
    cases = checkpoint["cases"]
    need(isinstance(cases, list), "cases", "is not a list")
    need(
        checkpoint["size"] == len(cases) and whole(checkpoint["size"]),
        "size",
        "is not the number of cases",
    )
    keys = ("case_id", "version", "last_hash", "redactions")[: 3 if version < 2 else 4]
    for number, case in enumerate(cases, start=1):
        where = f"cases[{number}]"
        need(isinstance(case, dict), where, "is not an object")
        for name in sorted(set(case) - set(keys)):
            need(False, f"{where}.{name}", "is not a case's field")
        for name in keys:
            need(name in case, f"{where}.{name}", "is missing")
        need(
            isinstance(case["case_id"], str) and case["case_id"], f"{where}.case_id", "is not text"
        )
        need(whole(case["version"], 1), f"{where}.version", "is not a whole number >= 1")
        held = case["last_hash"]
        need(
            isinstance(held, str) and HEX64.fullmatch(held),
            f"{where}.last_hash",
            "is not 64 hex digits",
        )
        heads = case.get("redactions", [])
        need(
            isinstance(heads, list)
            and all(
                isinstance(head, list)
                and len(head) == 3
                and whole(head[0], 1)
                and whole(head[1], 1)
                and isinstance(head[2], str)
                and HEX64.fullmatch(head[2])
                for head in heads
            )
            and [head[0] for head in heads] == sorted({head[0] for head in heads}),
            f"{where}.redactions",
            "is not " + HEAD,
        )
    ids = [case["case_id"] for case in cases]
    need(len(set(ids)) == len(ids), "cases", "name a case twice")
    signature = checkpoint["signature"]
    need(
        signature is None
        or (
            isinstance(signature, dict)
            and set(signature) == {"algorithm", "key_id", "value"}
            and signature["algorithm"] == "Ed25519"
            and isinstance(signature["key_id"], str)
            and HEX64.fullmatch(signature["key_id"])
            and isinstance(signature["value"], str)
            and signature["value"]
        ),
        "signature",
        "is not null or an Ed25519 signature (its algorithm, key_id and value)",
    )
    return checkpoint


def cannot(path, what, error):
    """Say on one line that the file at `path` cannot be read as `what`; the exit status 2."""
    print(f"{path}: cannot be read as {what} ({error})", file=sys.stderr)
    return 2


def main(arguments, layout):
    """Check a store's SQLite file; exit 0 if every hash holds, 1 if not, 2 if it cannot."""
    if not 1 <= len(arguments) <= 3:
        usage = "usage: python check_log.py DATABASE [CHECKPOINT.json [PUBLIC_KEY.pem]]"
        print(usage, file=sys.stderr)
        return 2
    try:
        checkpoint = read_checkpoint(arguments[1]) if len(arguments) > 1 else None
    except (OSError, ValueError) as error:
        return cannot(arguments[1], "a checkpoint", error)
    try:
        key = pathlib.Path(arguments[2]).read_bytes() if len(arguments) > 2 else None
    except OSError as error:
        return cannot(arguments[2], "a key", error)
    try:
        if key is not None:
            public_key(key)  # a file that is no such key says nothing of the signature
    except Unreadable as error:
        print(f"{arguments[2]}: {error}", file=sys.stderr)
        return 2
    uri = pathlib.Path(arguments[0]).resolve().as_uri() + "?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True)
        db.row_factory = sqlite3.Row
        problems, entries, records = check_log(db, layout, checkpoint)
    except sqlite3.Error as error:
        return cannot(arguments[0], "a store", error)
    if checkpoint is not None:
        problems += check_checkpoint(checkpoint, entries, records, key)
    for problem in problems:
        print(problem)
    if not problems:
        count = sum(len(hashes) for hashes in entries.values())
        print(
            f"cases: {len(entries)}, entries: {count}, redaction records: {len(records)}; "
            f"every hash holds; {anchored(checkpoint, key)}"
        )
    return 1 if problems else 0


def anchored(checkpoint, key):
    """What the success line says of the checkpoint: whether one was given, and whether its
    signature was checked, so that a report quoting the line shows what was checked."""
    if checkpoint is None:
        return "no checkpoint given (a history rewritten and chained again is not found)"
    held = f"the checkpoint taken {checkpoint['taken_at']} holds"
    if checkpoint["signature"] is None:
        return f"{held} (it is not signed)"
    if key is None:
        return f"{held} (its signature not checked: no public key given)"
    return f"{held}, signed with the key given"


if __name__ == "__main__":
    LAYOUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "at_rest.json")
    try:
        with open(LAYOUT, encoding="utf-8") as f:
            layout = json.load(f)
    except (OSError, ValueError) as error:  # not beside the script (it was copied alone)
        sys.exit(cannot(LAYOUT, "at_rest.json, which must lie beside this script", error))
    sys.exit(main(sys.argv[1:], layout))
