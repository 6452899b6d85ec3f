"""Settings from a `.env` file and a secrets directory, and their order: environment > .env > secrets > default."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from goalstream_runtime import settings_files
from goalstream_runtime.kafka_security import KafkaSecuritySettings
from goalstream_runtime.settings import ServiceSettings

SECRET = "s3cr3t-from-a-file"


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No GOALSTREAM_* from the caller, a working directory of our own and no default secrets directory."""
    for name in list(os.environ):
        if name.startswith("GOALSTREAM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings_files, "DEFAULT_SECRETS_DIR", tmp_path / "no-such-dir")
    return tmp_path


def secrets(tmp_path: Path, **files: str) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir(exist_ok=True)
    for name, value in files.items():
        (directory / name).write_text(value + "\n")
    return directory


def test_a_dotenv_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("GOALSTREAM_DATABASE_URL=postgresql://db/x\nGOALSTREAM_KAFKA_BOOTSTRAP=k:9092\n")
    settings = ServiceSettings()
    assert (settings.database_url, settings.kafka_bootstrap) == ("postgresql://db/x", "k:9092")


def test_goalstream_env_file_names_another_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "prod.env").write_text("GOALSTREAM_DATABASE_URL=postgresql://prod/x\nGOALSTREAM_KAFKA_BOOTSTRAP=k:1\n")
    monkeypatch.setenv("GOALSTREAM_ENV_FILE", str(tmp_path / "prod.env"))
    assert ServiceSettings().database_url == "postgresql://prod/x"


def test_a_named_env_file_that_is_missing_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOALSTREAM_ENV_FILE", "/nowhere/.env")
    with pytest.raises(SettingsError, match=r"GOALSTREAM_ENV_FILE=/nowhere/\.env: no such file"):
        KafkaSecuritySettings()


def test_a_secret_is_read_from_a_file_named_as_its_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = secrets(tmp_path, goalstream_kafka_sasl_password=SECRET, GOALSTREAM_KAFKA_SASL_USERNAME="svc")
    monkeypatch.setenv("GOALSTREAM_SECRETS_DIR", str(directory))
    monkeypatch.setenv("GOALSTREAM_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("GOALSTREAM_KAFKA_SASL_MECHANISM", "PLAIN")
    settings = KafkaSecuritySettings()
    assert settings.kafka_sasl_password is not None
    assert settings.kafka_sasl_password.get_secret_value() == SECRET  # stripped of the file's newline
    assert settings.kafka_sasl_username == "svc"  # either case names the file


def test_run_secrets_is_the_default_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_files, "DEFAULT_SECRETS_DIR", secrets(tmp_path, goalstream_kafka_bootstrap="s:1"))
    assert ServiceSettings(database_url="postgresql://x").kafka_bootstrap == "s:1"


def test_a_named_secrets_directory_that_is_missing_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOALSTREAM_SECRETS_DIR", "/nowhere/secrets")
    with pytest.raises(SettingsError, match="GOALSTREAM_SECRETS_DIR=/nowhere/secrets: no such directory"):
        KafkaSecuritySettings()


def test_environment_beats_dotenv_beats_secrets_beats_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = secrets(
        tmp_path,
        goalstream_database_url="postgresql://secret",
        goalstream_kafka_bootstrap="secret:1",
        goalstream_http_port="7001",
    )
    monkeypatch.setenv("GOALSTREAM_SECRETS_DIR", str(directory))
    (tmp_path / ".env").write_text("GOALSTREAM_DATABASE_URL=postgresql://dotenv\nGOALSTREAM_KAFKA_BOOTSTRAP=dotenv:1\n")
    monkeypatch.setenv("GOALSTREAM_DATABASE_URL", "postgresql://environment")
    settings = ServiceSettings()
    assert settings.database_url == "postgresql://environment"
    assert settings.kafka_bootstrap == "dotenv:1"
    assert settings.http_port == 7001
    assert settings.log_level == "INFO"  # the default


def test_a_secret_from_a_file_is_never_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    directory = secrets(tmp_path, goalstream_kafka_sasl_password=SECRET)
    monkeypatch.setenv("GOALSTREAM_SECRETS_DIR", str(directory))
    monkeypatch.setenv("GOALSTREAM_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("GOALSTREAM_KAFKA_SASL_MECHANISM", "PLAIN")
    monkeypatch.setenv("GOALSTREAM_KAFKA_SASL_USERNAME", "svc")
    settings = ServiceSettings(database_url="postgresql://x", kafka_bootstrap="k:1")
    logging.getLogger("test").warning("settings %s %r", settings, settings)
    shown = [str(settings), repr(settings), settings.model_dump_json(), caplog.text]
    assert all(SECRET not in text for text in shown)
    # A refused combination names the setting, never the value it read.
    monkeypatch.setenv("GOALSTREAM_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    with pytest.raises(ValidationError) as refused:
        ServiceSettings(database_url="postgresql://x", kafka_bootstrap="k:1")
    assert SECRET not in str(refused.value)
    # Nor does a file that fails validation have its content echoed.
    secrets(tmp_path, goalstream_http_port=SECRET)
    with pytest.raises(ValidationError, match="http_port") as bad:
        ServiceSettings(database_url="postgresql://x", kafka_bootstrap="k:1")
    assert SECRET not in str(bad.value)


def test_a_secret_file_that_cannot_be_read_is_named_with_why_and_never_echoed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = secrets(tmp_path)
    (directory / "goalstream_kafka_sasl_password").write_bytes(b"\xff" + SECRET.encode())  # not UTF-8 text
    monkeypatch.setenv("GOALSTREAM_SECRETS_DIR", str(directory))
    with pytest.raises(SettingsError) as refused:
        KafkaSecuritySettings()
    said = str(refused.value)
    assert str(directory / "goalstream_kafka_sasl_password") in said and "not UTF-8 text" in said, said
    assert SECRET not in said and "0xff" not in said, said
