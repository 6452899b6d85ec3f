"""Where the commands find the platform: flag > environment variable > addresses file > built-in default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from goalstream_cli.addresses import Addresses, Found, choose, read_addresses, remove_addresses, write_addresses
from goalstream_cli.main import app
from goalstream_cli.measurements_batches import Summary
from goalstream_cli.measurements_import import landed_so_far
from goalstream_cli.run.children import demo_key
from goalstream_cli.run.settings import RunSettings
from goalstream_cli.settings import api_key_found, bootstrap_found, database_found, goals_api_found

FILE = ".goalstream/addresses.json"
API_VARIABLES = [("GOALSTREAM_API_URL", "{}"), ("GOALSTREAM_GOALS_PORT", "http://127.0.0.1:{}")]


def addresses(pid: int | None = None) -> Addresses:
    return Addresses(
        pid=os.getpid() if pid is None else pid,
        goals_url="http://127.0.0.1:18001",
        tracking_url="http://127.0.0.1:18002",
        notifications_url="http://127.0.0.1:18003",
        kafka_bootstrap="127.0.0.1:19092",
        database_url="postgresql://u:secret@127.0.0.1:15432/goalstream",
        demo_api_key="gs_from_the_file",
        consumer_group_prefix="goalstream",
    )


def test_the_flag_wins_then_the_variable_then_the_file_then_the_default() -> None:
    env = {"GOALSTREAM_API_URL": "http://env:1", "GOALSTREAM_GOALS_PORT": "9001"}
    default, recorded = "http://127.0.0.1:8001", "http://file:2"
    assert choose("http://flag:3", "--api", env, API_VARIABLES, recorded, FILE, default) == Found(
        "http://flag:3", "--api"
    )
    assert choose(None, "--api", env, API_VARIABLES, recorded, FILE, default) == Found(
        "http://env:1", "GOALSTREAM_API_URL"
    )
    port_only = {"GOALSTREAM_GOALS_PORT": "9001"}
    assert choose(None, "--api", port_only, API_VARIABLES, recorded, FILE, default) == Found(
        "http://127.0.0.1:9001", "GOALSTREAM_GOALS_PORT"
    )
    assert choose(None, "--api", {}, API_VARIABLES, recorded, FILE, default) == Found("http://file:2", FILE)
    assert choose(None, "--api", {}, API_VARIABLES, None, FILE, default) == Found(default, "the default")
    assert choose(None, "--bootstrap", {}, [("GOALSTREAM_KAFKA_BOOTSTRAP", "{}")], None, FILE) is None


def test_every_command_reads_the_file_of_its_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GOALSTREAM_DATA_DIR", "GOALSTREAM_API_URL", "GOALSTREAM_GOALS_PORT", "GOALSTREAM_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("GOALSTREAM_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.delenv("GOALSTREAM_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert goals_api_found(None) == Found("http://127.0.0.1:8001", "the default")
    write_addresses(tmp_path / FILE, addresses())
    assert (tmp_path / FILE).stat().st_mode & 0o777 == 0o600  # it holds a key and a database URL
    assert bootstrap_found(None) == Found("127.0.0.1:19092", FILE)
    assert database_found(None).value.endswith("@127.0.0.1:15432/goalstream")
    assert goals_api_found(None) == Found("http://127.0.0.1:18001", FILE)
    assert api_key_found(None, goals_api_found(None)) == Found("gs_from_the_file", FILE)
    monkeypatch.setenv("GOALSTREAM_GOALS_PORT", "8101")
    monkeypatch.setenv("GOALSTREAM_KAFKA_BOOTSTRAP", "broker:9092")
    assert goals_api_found(None) == Found("http://127.0.0.1:8101", "GOALSTREAM_GOALS_PORT")
    assert bootstrap_found("other:9092") == Found("other:9092", "--bootstrap")
    assert bootstrap_found(None) == Found("broker:9092", "GOALSTREAM_KAFKA_BOOTSTRAP")
    monkeypatch.setenv("GOALSTREAM_DATA_DIR", str(tmp_path / "elsewhere"))  # the file of another data directory
    assert api_key_found("gs_flag", goals_api_found(None)).source == "--key"
    monkeypatch.delenv("GOALSTREAM_KAFKA_BOOTSTRAP")
    with pytest.raises(Exception, match="goalstream run"):
        bootstrap_found(None)


def test_the_demo_key_goes_only_to_the_goals_api_of_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GOALSTREAM_DATA_DIR", "GOALSTREAM_API_URL", "GOALSTREAM_GOALS_PORT", "GOALSTREAM_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    write_addresses(tmp_path / FILE, addresses())
    assert api_key_found(None, goals_api_found(None)) == Found("gs_from_the_file", FILE)
    monkeypatch.setenv("GOALSTREAM_API_URL", "https://goals.example.com")
    with pytest.raises(Exception, match="goes only to the goals API recorded there"):
        api_key_found(None, goals_api_found(None))  # not sent to a remote API the variable names
    with pytest.raises(Exception, match="from --api"):
        api_key_found(None, goals_api_found("http://127.0.0.1:9"))
    monkeypatch.setenv("GOALSTREAM_KEY", "gs_mine")
    assert api_key_found(None, goals_api_found(None)) == Found("gs_mine", "GOALSTREAM_KEY")


def test_the_data_directory_and_the_files_with_secrets_are_created_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Their mode is the one they were created with: none is readable by others even for a moment."""
    monkeypatch.setattr(Path, "chmod", lambda *_, **__: None)  # a mode set after the creation does not count
    monkeypatch.delenv("GOALSTREAM_DEMO_API_KEY", raising=False)
    umask = os.umask(0o022)
    try:
        data = tmp_path / "new" / ".goalstream"
        write_addresses(data / "addresses.json", addresses())
        (data / "addresses.json.partial").write_text("left by a run killed while writing\n")
        write_addresses(data / "addresses.json", addresses())
        key = demo_key(RunSettings(data_dir=tmp_path / "other"))
    finally:
        os.umask(umask)
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "addresses.json").stat().st_mode & 0o777 == 0o600
    assert read_addresses(data / "addresses.json") == addresses()
    assert (tmp_path / "other").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "other" / "demo-api-key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "other" / "demo-api-key").read_text() == key + "\n"


def test_a_file_left_by_a_run_that_is_gone_is_ignored_and_only_its_own_run_removes_it(tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    path = tmp_path / "addresses.json"
    write_addresses(path, addresses(pid=int(gone.stdout)))
    assert read_addresses(path) is None
    write_addresses(path, addresses())
    assert read_addresses(path) == addresses()
    remove_addresses(path, pid=os.getpid() + 1)
    assert path.exists()
    remove_addresses(path, pid=os.getpid())
    assert not path.exists()


def test_a_failed_import_says_how_many_rows_were_sent_and_landed() -> None:
    assert landed_so_far(Summary()).startswith("0 rows were sent and landed")
    told = landed_so_far(Summary(sent=10, accepted=6, duplicate=3, rejected=1))
    assert "10 rows were sent" in told and "9 landed (6 accepted, 3 duplicate), 1 rejected" in told


def test_an_unreachable_broker_is_named_with_where_it_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOALSTREAM_DATA_DIR", raising=False)
    monkeypatch.setenv("GOALSTREAM_KAFKA_BOOTSTRAP", "127.0.0.1:9")  # nothing listens on the discard port
    result = CliRunner().invoke(app, ["lag"])
    assert result.exit_code == 2, result.output
    assert "cannot reach the Kafka broker at 127.0.0.1:9 (from GOALSTREAM_KAFKA_BOOTSTRAP)" in result.output


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("goalstream 0.")
