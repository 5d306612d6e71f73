"""The API's documentation: the OpenAPI schema and its interactive page (served with local
assets only), docs/api.md checked against the schema, and the curl examples run for real."""

import json
import re
import subprocess
from typing import Any

import httpx
import pytest

from agentdesk.dialler.models import DiallerCampaign
from agentdesk.dialler.schemas import ContactIn

from .conftest import ROOT, server_env

pytestmark = pytest.mark.django_db(transaction=True)
DOC = (ROOT / "docs" / "api.md").read_text()


def test_the_schema_is_served_and_docs_api_md_names_every_path_parameter_and_field(client):
    schema = client.get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert {
        "/api/dialler/contacts/import",
        "/api/dialler/contacts",
        "/api/dialler/contacts/{contact_id}",
        "/api/dialler/campaigns",
    } <= set(paths)
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert (
                f"`{method.upper()} {path}" in DOC
                or f"{method.upper()} {path}`" in DOC
                or (f"{path}`" in DOC)
            ), (method, path)
            for parameter in operation.get("parameters", []):
                assert f"`{parameter['name']}`" in DOC, (path, parameter["name"])
    body = paths["/api/dialler/contacts/import"]["post"]["requestBody"]["content"]
    ref = body["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = schema["components"]["schemas"][ref]["properties"]
    assert set(fields) == set(ContactIn.model_fields)
    for name in fields:
        assert f"`{name}`" in DOC, name
    assert schema["components"]["schemas"][ref].get("additionalProperties") is False


def test_the_interactive_page_loads_only_local_assets(app_server):
    page = httpx.get(f"{app_server.url}/api/docs", timeout=10)
    assert page.status_code == 200 and "swagger" in page.text.lower()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page.text)
    assert assets, page.text[:500]
    for asset in assets:
        assert asset.startswith("/static/"), asset  # no CDN: the machine may have no internet
        response = httpx.get(f"{app_server.url}{asset}", timeout=10)
        assert response.status_code == 200 and len(response.content) > 1000, asset


def _shell_blocks(text: str, marker: str) -> str:
    """The ```sh block that contains `marker`."""
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        if marker in block:
            return block
    raise AssertionError(f"no sh block with {marker!r}")


def _answers(output: str) -> list[dict[str, Any]]:
    decoder, answers, position = json.JSONDecoder(), [], 0
    while position < len(output):
        if output[position].isspace():
            position += 1
            continue
        answer, position = decoder.raw_decode(output, position)
        answers.append(answer)
    return answers


@pytest.mark.django_db(transaction=True, reset_sequences=True)  # the examples read contact 1
@pytest.mark.parametrize("document", ["README.md", "docs/api.md"])
def test_the_curl_examples_work_as_written(app_server, sim_world, document):
    DiallerCampaign.objects.create(
        name="Spring Renewals",
        campaign_group="Sales Manual Group",
        time_zone="(UTC-05:00) Eastern Time (US and Canada)",
    )
    script = _shell_blocks((ROOT / document).read_text(), 'create_api_token "CRM sync" 2>')
    script = script.replace("http://localhost:8000", app_server.url)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    answers = _answers(done.stdout)
    assert len(answers) == 4, done.stdout
    assert all(a["status"] == 200 for a in answers), answers
    imported = answers[0]["records"][0]
    assert imported["PhoneNumber1"] == "+12025550143" and imported["LCMStatus"] == "confirmed"
    assert answers[2]["records"][0]["ID"] == imported["ID"]
