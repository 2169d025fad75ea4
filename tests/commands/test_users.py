from __future__ import annotations

import json
import os
from pathlib import Path

from tests.access.helpers import cli


def test_add_prints_the_key_once_and_the_store_keeps_a_hash(tmp_path: Path) -> None:
    db = tmp_path / "store" / "events.db"
    code, out, err = cli("users", "add", "alice", "--plan", "pro", "--db", str(db))
    assert code == 0
    key = out.strip().splitlines()[-1]
    assert key.startswith("plk_") and "plan pro" in out
    assert "warning: plan 'pro' is not in the config's plans" in err
    assert os.stat(db).st_mode & 0o777 == 0o600
    for path in db.parent.iterdir():
        assert key.encode() not in path.read_bytes()
    code, listing, _ = cli("users", "list", "--db", str(db))
    assert code == 0 and key not in listing
    assert listing.split()[:2] == ["alice", "pro"] and "active" in listing


def test_list_json_revoke_and_readd(tmp_path: Path) -> None:
    db = str(tmp_path / "events.db")
    cli("users", "add", "bob", "--db", db)
    assert cli("users", "add", "bob", "--db", db)[0] == 2  # exists
    code, out, _ = cli("users", "revoke", "bob", "--db", db)
    assert code == 0 and "revoked" in out
    rows = [
        json.loads(line)
        for line in cli("users", "list", "--format", "json", "--db", db)[1].splitlines()
    ]
    assert rows[0]["name"] == "bob" and rows[0]["revoked"] and rows[0]["plan"] is None
    code, out, _ = cli("users", "add", "bob", "--db", db)
    assert code == 0 and out.strip().splitlines()[-1].startswith("plk_")


def test_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    db = str(tmp_path / "events.db")
    code, _, err = cli("users", "revoke", "ghost", "--db", str(tmp_path / "none.db"))
    assert (
        code == 2 and err.startswith("pluginlab-tui: no event store") and len(err.splitlines()) == 1
    )
    cli("users", "add", "carol", "--db", db)
    code, _, err = cli("users", "revoke", "ghost", "--db", db)
    assert (code, err.strip()) == (2, "pluginlab-tui: no user named 'ghost'")
    code, _, err = cli("users", "add", "two words", "--db", db)
    assert code == 2 and "without spaces" in err
    assert cli("users")[0] == 2


def test_plans_from_the_config_are_known(tmp_path: Path) -> None:
    config = tmp_path / "pluginlab.toml"
    config.write_text('[store]\npath = "e.db"\n[plans.pro]\nquota = 5\n', encoding="utf-8")
    code, _, err = cli("users", "add", "dan", "--plan", "pro", "--config", str(config))
    assert code == 0 and err == ""
    assert (tmp_path / "e.db").exists()


def test_client_secret_is_shown_once_and_stored_hashed(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    code, out, _ = cli("users", "client", "--db", str(db))
    assert code == 0 and "client_id: pluginlab-dev-client" in out
    secret = out.split("client_secret: ")[1].split()[0]
    assert secret.startswith("pls_")
    again = cli("users", "client", "--db", str(db))[1]
    assert secret not in again and "--rotate" in again
    rotated = cli("users", "client", "--rotate", "--db", str(db))[1]
    new = rotated.split("client_secret: ")[1].split()[0]
    assert new != secret
    for path in tmp_path.iterdir():
        assert secret.encode() not in path.read_bytes() and new.encode() not in path.read_bytes()
    config = tmp_path / "pluginlab.toml"
    config.write_text('[auth.oauth]\nclient_secret = "from-config"\n', encoding="utf-8")
    shown = cli("users", "client", "--config", str(config), "--db", str(db))[1]
    assert "from-config" not in shown and "auth.oauth.client_secret" in shown
