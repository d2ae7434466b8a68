"""/docs in a real browser (Debian's Chromium driven by Playwright), against `alliance up`:
Swagger UI renders with no request leaving the node, and its Authorize button takes a
token that the requests it then makes carry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Route

from tests.support import NodeProcess, run_cli, spare_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    data_dir = tmp_path_factory.mktemp("docs") / "node"
    made = run_cli(
        "init",
        "--data-dir",
        str(data_dir),
        "--node",
        "ro-docs",
        "--name",
        "Docs",
        "--country",
        "RO",
    )
    assert made.returncode == 0, made.stderr
    process = NodeProcess(data_dir, spare_port())
    try:
        yield process.start()
    finally:
        process.cleanup()


def test_swagger_ui_renders_offline_and_authorize_sends_the_token(
    node: NodeProcess, browser: Browser
) -> None:
    token = run_cli("token", "create", "--role", "editor", "--data-dir", str(node.data_dir))
    token_value = token.stdout.strip()
    seen: list[str] = []
    refused: list[str] = []
    sent_authorization: list[str] = []

    def only_the_node(route: Route) -> None:
        url = route.request.url
        seen.append(url)
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith("data:"):
            if "/api/membership/organizations" in url:
                sent_authorization.append(route.request.headers.get("authorization", ""))
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    context = browser.new_context()
    try:
        page = context.new_page()
        page.route("**/*", only_the_node)
        page.goto(f"{node.url}/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
        assert "Alliance node ro-docs" in page.inner_text(".swagger-ui .info .title")

        page.click("button.authorize")
        page.wait_for_selector(".modal-ux", timeout=10_000)
        assert "bearerAuth" in page.inner_text(".modal-ux")
        page.fill(".modal-ux input", token_value)
        page.click(".modal-ux button.modal-btn.auth.authorize")
        page.click(".modal-ux button.btn-done")

        operation = "#operations-membership-list_organizations_api_membership_organizations_get"
        page.click(f"{operation} .opblock-summary")
        page.click(f"{operation} .try-out__btn")
        page.click(f"{operation} .execute")
        cell = f"{operation} .live-responses-table tbody .response-col_status"
        page.wait_for_selector(cell)
        status = page.inner_text(cell)
        body = page.inner_text(f"{operation} .live-responses-table .microlight")
    finally:
        context.close()

    assert refused == [], f"the page asked for {refused}"
    assert seen and all(url.startswith((node.url, "data:")) for url in seen)
    assert status.strip().startswith("200")
    assert json.loads(body)["items"] == []
    assert sent_authorization == [f"Bearer {token_value}"]
