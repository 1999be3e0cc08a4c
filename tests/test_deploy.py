"""docker-compose.yml and the Dockerfile, checked as files (no Docker build runs here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = "/var/lib/loyalty"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def _services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = compose["services"]
    return services


def _volume_at(service: dict[str, Any], target: str) -> str | None:
    for volume in service.get("volumes", []):
        source, _, mounted = str(volume).partition(":")
        if mounted.split(":")[0] == target:
            return source
    return None


def test_api_and_worker_share_the_data_volume_that_holds_uploads(
    compose: dict[str, Any],
) -> None:
    services = _services(compose)
    api = _volume_at(services["api"], DATA_DIR)
    worker = _volume_at(services["worker"], DATA_DIR)
    assert api is not None
    assert api == worker
    # A named volume of the file, not a path of one container.
    assert api in compose["volumes"]
    # Uploads wait under the shared directory for the worker's job.
    for name in ("api", "worker"):
        environment = services[name]["environment"]
        assert environment["LOYALTY_DATA_DIR"] == DATA_DIR
        assert environment.get("LOYALTY_IMPORT_DIR", f"{DATA_DIR}/imports").startswith(DATA_DIR)


def test_the_image_is_built_once(compose: dict[str, Any]) -> None:
    services = _services(compose)
    built = [name for name, service in services.items() if "build" in service]
    assert len(built) == 1
    image = services[built[0]]["image"]
    for name in ("api", "worker"):
        service = services[name]
        assert service["image"] == image
        if name != built[0]:
            # Never pulled from a registry: it is the image the other service built.
            assert service.get("pull_policy") == "never"
            assert "build" not in service


def test_the_worker_does_not_wait_for_the_api(compose: dict[str, Any]) -> None:
    services = _services(compose)
    worker = services["worker"]
    assert "api" not in worker.get("depends_on", {})
    # Both start once migrations have run and exited successfully.
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        migrate = depends["migrate"]
        assert migrate["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
    assert services["migrate"]["command"] == ["loyalty", "migrate"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "--migrate" not in services["api"]["command"]
    # The worker serves no HTTP: the image's health check (/health) does not apply to it.
    assert worker["healthcheck"] == {"disable": True}


def test_the_dockerfile_declares_the_data_directory_a_volume() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f'VOLUME ["{DATA_DIR}"]' in dockerfile
    assert f"LOYALTY_DATA_DIR={DATA_DIR}" in dockerfile
