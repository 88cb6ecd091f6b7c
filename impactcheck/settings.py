"""Configuration: defaults, then `instance/config.py`, then IMPACTCHECK_* environment variables.

Plain data, no Flask: the CLI reads the same settings to reach the database without the web app.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,  # generated once into instance/secret_key when not configured
    "DATABASE_URL": None,  # default: SQLite file in the instance folder
    "RULES_DIR": None,  # default: rules/ of the checkout
    "DEFAULT_RULESET": "kassel-2030",
    "RULESETS": None,  # rule set ids offered to authors; default: every rule set in RULES_DIR
    "MUNICIPALITY_SLUG": "default",
    "MUNICIPALITY_NAME": None,  # default: the municipality named in the default rule set
    "UPLOAD_MAX_BYTES": 20 * 1024 * 1024,
    "SESSION_IDLE_MINUTES": 8 * 60,  # a login ends after this long without a request
    "TRUST_PROXY": False,  # behind a reverse proxy that sets X-Forwarded-Proto/-For
    "TIMEZONE": "Europe/Berlin",  # how stored (UTC) times are shown
    "HOST": "127.0.0.1",
    "PORT": 8080,
}


def instance_path() -> Path:
    configured = os.environ.get("IMPACTCHECK_INSTANCE")
    return Path(configured).resolve() if configured else ROOT / "instance"


def _parse_env(value: str) -> Any:
    """Numbers, true/false and JSON lists come through as such; everything else as text."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def load(instance: Path | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    instance = instance or instance_path()
    config = dict(DEFAULTS)
    pyfile = instance / "config.py"
    if pyfile.is_file():
        namespace: dict[str, Any] = {}
        # The administrator's own Python file, read like Flask's config.from_pyfile.
        exec(compile(pyfile.read_text(encoding="utf-8"), str(pyfile), "exec"), namespace)
        config.update({k: v for k, v in namespace.items() if k.isupper()})
    for key, value in os.environ.items():
        if key.startswith("IMPACTCHECK_") and key != "IMPACTCHECK_INSTANCE":
            config[key.removeprefix("IMPACTCHECK_")] = _parse_env(value)
    config.update(overrides or {})
    config["INSTANCE_PATH"] = str(instance)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{instance / 'impactcheck.sqlite3'}"
    return config


def ensure_instance(config: dict[str, Any]) -> None:
    """Create the instance folder and a secret key on first start."""
    instance = Path(config["INSTANCE_PATH"])
    instance.mkdir(parents=True, exist_ok=True)
    if not config.get("SECRET_KEY"):
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32), encoding="utf-8")
            key_file.chmod(0o600)
        config["SECRET_KEY"] = key_file.read_text(encoding="utf-8").strip()
