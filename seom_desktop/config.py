"""This workstation's own settings: its name and where its store is.

The settings live in a small JSON file in the platformdirs user config folder
(``SEOM_HOME`` overrides the config and data folders, which is how tests stay away
from the user's real settings). The store location is resolved, in order, from
``--store``, the ``SEOM_STORE`` variable, this file, and finally a default store file
in the user data folder.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

import platformdirs

APP_NAME = "seom-desktop"
DEFAULT_STORE_FILENAME = "store.seom"


def config_dir() -> Path:
    home = os.environ.get("SEOM_HOME")
    if home:
        return Path(home) / "config"
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    home = os.environ.get("SEOM_HOME")
    if home:
        return Path(home) / "data"
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_store_path() -> Path:
    return data_dir() / DEFAULT_STORE_FILENAME


@dataclass
class WorkstationConfig:
    """What this PC remembers between launches."""

    name: str | None = None
    store: str | None = None

    @classmethod
    def path(cls) -> Path:
        return config_dir() / "workstation.json"

    @classmethod
    def load(cls) -> WorkstationConfig:
        path = cls.path()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError):
            # A damaged settings file must not stop the program; the first-launch
            # screen will ask again and rewrite it.
            return cls()
        return cls(name=raw.get("name") or None, store=raw.get("store") or None)

    def save(self) -> None:
        path = self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        tmp.replace(path)


def resolve_store(cli_value: str | None) -> str:
    """The store to open: ``--store``, else ``SEOM_STORE``, else the saved one, else the default."""
    for candidate in (cli_value, os.environ.get("SEOM_STORE"), WorkstationConfig.load().store):
        if candidate:
            return candidate
    return str(default_store_path())


def resolve_workstation(cli_value: str | None) -> str:
    """This PC's name: ``--workstation``, else ``SEOM_WORKSTATION``, else saved, else hostname."""
    for candidate in (
        cli_value,
        os.environ.get("SEOM_WORKSTATION"),
        WorkstationConfig.load().name,
    ):
        if candidate and candidate.strip():
            return candidate.strip()
    return socket.gethostname() or "workstation"
