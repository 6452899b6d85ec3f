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
fallback to defaults would start a service without its password.
"""

from __future__ import annotations

import os
from pathlib import Path

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
            SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir()),
        )
