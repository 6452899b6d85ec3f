"""Where every goalstream settings class reads from besides the environment: a `.env` file and a secrets directory.

Precedence, pydantic-settings' own order: keyword arguments > environment > `.env` file > secrets directory >
the field's default. So an exported variable always wins, a `.env` beside the working directory fills in
what is not exported, and a mounted secret (Docker's and Kubernetes' `/run/secrets`) fills in the rest.

- `.env`: `GOALSTREAM_ENV_FILE` names the file; unset, `.env` in the working directory when there is one.
  Only `GOALSTREAM_*` keys are read (the prefix applies as in the environment); others are ignored.
- Secrets: `GOALSTREAM_SECRETS_DIR` names the directory; unset, `/run/secrets` when it exists. A file holds
  one setting and is named as its variable, in either case (`goalstream_smtp_password`); its content,
  stripped of surrounding whitespace, is the value.

Both are read when a settings object is made, not at import, so a test or `goalstream run` can point them
elsewhere. A file or directory named explicitly but missing is an error naming the variable: a silent
fallback to defaults would start a service without its password. A secret file that cannot be read (not
UTF-8, no permission) is an error naming the file and why, never quoting what it holds (`SecretFiles`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsError,
)

ENV_FILE_VARIABLE = "GOALSTREAM_ENV_FILE"
SECRETS_DIR_VARIABLE = "GOALSTREAM_SECRETS_DIR"
DEFAULT_ENV_FILE = Path(".env")
DEFAULT_SECRETS_DIR = Path("/run/secrets")


def env_file() -> Path | None:
    """The `.env` file to read, or None."""
    named = os.environ.get(ENV_FILE_VARIABLE)
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise SettingsError(f"{ENV_FILE_VARIABLE}={named}: no such file")
        return path
    return DEFAULT_ENV_FILE if DEFAULT_ENV_FILE.is_file() else None


def secrets_dir() -> Path | None:
    """The secrets directory to read, or None."""
    named = os.environ.get(SECRETS_DIR_VARIABLE)
    if named:
        path = Path(named).expanduser()
        if not path.is_dir():
            raise SettingsError(f"{SECRETS_DIR_VARIABLE}={named}: no such directory")
        return path
    return DEFAULT_SECRETS_DIR if DEFAULT_SECRETS_DIR.is_dir() else None


class SecretFiles(SecretsSettingsSource):
    """pydantic-settings' secrets directory, whose read errors name the file and why, never what it holds.

    Its own say only `error getting value for field "..."`, with the decoding error (which quotes a byte of the
    secret) below it in the traceback."""

    def __call__(self) -> dict[str, Any]:
        try:
            return super().__call__()
        except SettingsError as exc:
            if isinstance(exc.__cause__, SettingsError):  # ours, from `get_field_value`: it says it all
                raise exc.__cause__ from None
            raise

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        try:
            return super().get_field_value(field, field_name)
        except (OSError, UnicodeDecodeError) as exc:
            why = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else (exc.strerror or type(exc).__name__)
            raise SettingsError(f"secret file {self._path(field, field_name)}: {why}") from None

    def _path(self, field: FieldInfo, field_name: str) -> Path | str:
        for _, env_name, _ in self._extract_field_info(field, field_name):
            for directory in reversed(self.secrets_paths):
                if found := self.find_case_path(directory, env_name, self.case_sensitive):
                    return found
        return field_name


class FileSettings(BaseSettings):
    """Base of every goalstream settings class: the environment, then `.env`, then the secrets directory."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The class's config is fixed at import; the file and directory are chosen now, from the environment.
        return (
            init_settings,
            env_settings,
            DotEnvSettingsSource(settings_cls, env_file=env_file()),
            SecretFiles(settings_cls, secrets_dir=secrets_dir()),
        )
