"""docker-compose.yml and the Dockerfile, read as an operator's Docker would, checked against accord itself.

No Docker engine runs here, so this is how they are kept correct: every
command they run is a verb of `accord` with options it has, every `ACCORD_*`
variable they set is one accord reads, secrets have no defaults, and the
services start in the order a deployment needs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from service.cli import app
from service.settings import Settings

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())  # merge keys (<<) resolved, as Compose does
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
REPLICAS = sorted(name for name in SERVICES if name.startswith("accord-"))


def dockerfile_cmd() -> list[str]:
    [line] = [line for line in (REPO / "Dockerfile").read_text().splitlines() if line.startswith("CMD ")]
    return json.loads(line.removeprefix("CMD "))  # type: ignore[no-any-return]


def commands() -> list[list[str]]:
    found = [dockerfile_cmd()]
    found += [service["command"] for service in SERVICES.values() if "command" in service]
    return [command for command in found if command[0] == "accord"]


def accord_variables() -> set[str]:
    """Every variable accord reads: its settings, and the options that fall back to a variable."""
    known = {f"ACCORD_{name.upper()}" for name in Settings.model_fields}
    stack = [typer.main.get_command(app)]  # Typer's click commands; a group holds `commands`
    while stack:
        command = stack.pop()
        known.update(variable for param in command.params for variable in _envvars(param))
        stack.extend(getattr(command, "commands", {}).values())
    return known


def _envvars(param: Any) -> list[str]:
    names = getattr(param, "envvar", None)
    return [names] if isinstance(names, str) else list(names or ())


def test_the_services_start_in_order_database_then_migration_then_replicas() -> None:
    assert set(SERVICES) == {"db", "migrate", *REPLICAS} and len(REPLICAS) == 2
    assert SERVICES["db"]["healthcheck"]["test"]
    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["accord", "migrate"] and migrate["restart"] == "no"
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in REPLICAS:
        assert SERVICES[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert SERVICES[name]["command"][:2] == ["accord", "serve"]


def test_each_replica_keeps_its_index_in_a_volume_of_its_own() -> None:
    mounts = {}
    for name in REPLICAS:
        environment = SERVICES[name]["environment"]
        assert environment["ACCORD_DATABASE_URL"].startswith("postgresql+psycopg://")
        [volume] = SERVICES[name]["volumes"]
        source, target = volume.split(":")
        assert target == environment["ACCORD_DATA_DIR"] and source in COMPOSE["volumes"]
        mounts[name] = source
    assert len(set(mounts.values())) == len(REPLICAS)


def test_secrets_have_no_defaults() -> None:
    text = (REPO / "docker-compose.yml").read_text()
    secrets = re.findall(r"\$\{([A-Z_]*(?:PASSWORD|SECRET|TOKEN)[A-Z_]*)([^}]*)\}", text)
    assert secrets, "the database password comes from a variable"
    for name, rest in secrets:
        assert rest.startswith(":?"), f"${{{name}}} must be required (${{{name}:?message}}), not defaulted"


def test_every_replica_signs_with_the_one_key_from_a_compose_secret_under_one_origin() -> None:
    [(name, secret)] = COMPOSE["secrets"].items()
    assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", secret["file"]), "the key file is required, never defaulted"
    for replica in REPLICAS:
        environment = SERVICES[replica]["environment"]
        assert SERVICES[replica]["secrets"] == [name]
        assert environment["ACCORD_SIGNING_KEY"] == f"/run/secrets/{name}"
        assert environment["ACCORD_LOG_ORIGIN"] == SERVICES[REPLICAS[0]]["environment"]["ACCORD_LOG_ORIGIN"]
    assert "ACCORD_SIGNING_KEY" not in SERVICES["migrate"]["environment"], "migrating signs nothing"


@pytest.mark.parametrize("command", commands(), ids=" ".join)
def test_every_command_is_an_accord_verb_with_options_it_has(command: list[str]) -> None:
    verb = [part for part in command[1:] if not part.startswith("-")][:1]
    result = CliRunner().invoke(app, [*verb, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for option in (part for part in command[1:] if part.startswith("--")):
        assert option in result.output, f"`accord {' '.join(verb)}` has no {option}"


def test_every_accord_variable_named_is_one_accord_reads() -> None:
    named = {key for service in SERVICES.values() for key in service.get("environment", {}) if key.startswith("ACCORD_")}
    named |= set(re.findall(r"\b(ACCORD_[A-Z_]+)=", (REPO / "Dockerfile").read_text()))
    assert named >= {"ACCORD_DATABASE_URL", "ACCORD_DATA_DIR", "ACCORD_WORKERS"}
    assert named <= accord_variables(), named - accord_variables()


def test_the_image_holds_every_package_the_distribution_ships() -> None:
    copied = set(re.findall(r"^COPY (\S+) ", (REPO / "Dockerfile").read_text(), flags=re.MULTILINE))
    shipped = {"events", "projections", "search_index", "service", "templates"}
    assert shipped <= copied, shipped - copied
