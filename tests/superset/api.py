"""A small client for Superset's REST API (login with a JWT, JSON in and out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests


@dataclass
class Answer:
    status: int
    body: Any


@dataclass
class SupersetClient:
    """Calls ``/api/v1/...`` as one user (an access token from ``/api/v1/security/login``), or
    as an embedded dashboard's guest (``guest``: the token goes in ``X-GuestToken``)."""

    url: str
    token: str = field(repr=False)
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    guest: bool = False

    @classmethod
    def login(cls, url: str, username: str, password: str) -> SupersetClient:
        response = requests.post(
            f"{url}/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": False},
            timeout=60,
        )
        response.raise_for_status()
        return cls(url, response.json()["access_token"])

    def _credentials(self) -> dict[str, str]:
        if self.guest:
            return {"X-GuestToken": self.token}
        return {"Authorization": f"Bearer {self.token}"}

    def call(self, method: str, path: str, headers: dict | None = None, **kwargs: Any) -> Answer:
        response = self.session.request(
            method,
            f"{self.url}{path}",
            headers={**self._credentials(), **(headers or {})},
            timeout=120,
            **kwargs,
        )
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return Answer(response.status_code, body)

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Answer:
        return self.call("POST", path, **kwargs)

    def listing(self, resource: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
        """Every row of ``/api/v1/<resource>/`` (one page of up to 1000), chosen columns."""
        query = f"(columns:!({','.join(columns)}),page:0,page_size:1000)"
        answer = self.get(f"/api/v1/{resource}/", params={"q": query})
        assert answer.status == 200, answer.body
        assert answer.body["count"] <= 1000, "more rows than one page"
        return answer.body["result"]
