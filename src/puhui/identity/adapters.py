"""Real-name verification providers, behind one interface each, in the data hub's style.

* `TwoFactorVerifier`: name + resident ID (身份二要素) against the identity authority.
* `ThreeFactorVerifier`: name + resident ID + mobile (运营商三要素): the carrier says whether the
  mobile is registered to that person.
* `FaceVerifier`: liveness and comparison with the identity photo (人脸识别): the browser records
  a short selfie video (getUserMedia + MediaRecorder) and the provider scores it.

`HttpIdentityProvider` speaks to a real provider over HTTP (httpx, timeouts, retries on
timeouts/5xx with exponential backoff); `SandboxIdentityProvider` answers from the synthetic
world (a `PeopleDirectory`: each person's name, registered mobile and photo reference). The
sandbox runs only in development/demo/test; `build_identity` refuses it elsewhere, so the
application does not start with it in production.

How the sandbox decides (it cannot see a face, and says so on every page it shows on):
two-factor passes when the resident ID is in the world under that name; three-factor when, in
addition, the mobile is the one registered to that person. The face check passes when the
person is in the world and the capture is a real video container (WebM's EBML header or an
MP4 `ftyp` box) of at least `MIN_CAPTURE_BYTES` (about a second of the browser's recording,
e.g. Chromium's fake camera); it fails an empty, too-short or non-video capture. Its score is
the fixed `SANDBOX_FACE_SCORE_BP`, and the evidence names the person's photo reference (a
deterministic hash of the resident ID, standing in for the authority's photo).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from puhui.core.config import Settings
from puhui.core.sms import refuse_sandbox_outside_development
from puhui.identity.errors import VerificationFailed

MIN_CAPTURE_BYTES = 4096
SANDBOX_FACE_SCORE_BP = 9500
FACE_PASS_BP = 8000  # a provider's similarity at or above this passes
SANDBOX_LABEL = "沙箱 Sandbox"


@dataclass(frozen=True)
class CheckResult:
    """A provider's answer: passed or not, why, its reference, a score, the raw answer."""

    passed: bool
    reason: str  # match | name_mismatch | mobile_mismatch | not_found | no_face | too_short | …
    provider: str
    provider_ref: str
    is_sandbox: bool
    score_bp: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class TwoFactorVerifier(Protocol):
    name: str
    is_sandbox: bool

    def two_factor(self, person_name: str, resident_id: str) -> CheckResult: ...


@runtime_checkable
class ThreeFactorVerifier(Protocol):
    name: str
    is_sandbox: bool

    def three_factor(self, person_name: str, resident_id: str, mobile: str) -> CheckResult: ...


@runtime_checkable
class FaceVerifier(Protocol):
    name: str
    is_sandbox: bool

    def face(
        self, person_name: str, resident_id: str, video: bytes, content_type: str
    ) -> CheckResult: ...


# ------------------------------------------------------------------------------- sandbox


@dataclass(frozen=True)
class RegisteredPerson:
    name: str
    mobile: str
    photo_ref: str  # stands in for the authority's identity photo


class PeopleDirectory(Protocol):
    def lookup(self, resident_id: str) -> RegisteredPerson | None: ...


def photo_ref(resident_id: str) -> str:
    """The sandbox's deterministic reference of a person's identity photo."""
    return hashlib.sha256(f"puhui-sandbox-photo|{resident_id}".encode()).hexdigest()


def looks_like_video(video: bytes) -> bool:
    return video[:4] == b"\x1a\x45\xdf\xa3" or video[4:8] == b"ftyp"


class SandboxIdentityProvider:
    """All three checks from the synthetic world; see the module docstring for its rules."""

    name = "sandbox"
    is_sandbox = True

    def __init__(self, directory: PeopleDirectory) -> None:
        self.directory = directory

    def _result(self, passed: bool, reason: str, **raw: Any) -> CheckResult:
        ref = hashlib.sha256(repr(sorted(raw.items())).encode()).hexdigest()[:16]
        return CheckResult(
            passed, reason, self.name, f"sbx-{ref}", True, raw={"sandbox": True, **raw}
        )

    def two_factor(self, person_name: str, resident_id: str) -> CheckResult:
        person = self.directory.lookup(resident_id)
        if person is None:
            return self._result(False, "not_found", kind="two_factor")
        if person.name != person_name:
            return self._result(False, "name_mismatch", kind="two_factor")
        return self._result(True, "match", kind="two_factor")

    def three_factor(self, person_name: str, resident_id: str, mobile: str) -> CheckResult:
        two = self.two_factor(person_name, resident_id)
        if not two.passed:
            return self._result(False, two.reason, kind="three_factor")
        person = self.directory.lookup(resident_id)
        if person is None or person.mobile != mobile:
            return self._result(False, "mobile_mismatch", kind="three_factor")
        return self._result(True, "match", kind="three_factor")

    def face(
        self, person_name: str, resident_id: str, video: bytes, content_type: str
    ) -> CheckResult:
        person = self.directory.lookup(resident_id)
        if person is None or person.name != person_name:
            return self._result(False, "not_found", kind="face")
        if len(video) < MIN_CAPTURE_BYTES:
            return self._result(False, "too_short", kind="face", size=len(video))
        if not looks_like_video(video):
            return self._result(False, "not_video", kind="face", size=len(video))
        result = self._result(True, "match", kind="face", photo_ref=person.photo_ref)
        return CheckResult(
            True,
            "match",
            self.name,
            result.provider_ref,
            True,
            SANDBOX_FACE_SCORE_BP,
            result.raw,
        )


# ---------------------------------------------------------------------------------- HTTP


class HttpIdentityProvider:
    """A real-name verification provider over HTTP.

    POST {base}/two-factor  {"name", "resident_id"}
    POST {base}/three-factor {"name", "resident_id", "mobile"}
    POST {base}/face  multipart: name, resident_id, video (the selfie recording)
    Answer: {"result": "match" | "mismatch" | "not_found", "reason": "...", "id": "...",
             "score": 0.0-1.0 (face only)}. Timeouts, connection errors and 5xx are retried;
    after the retries `VerificationFailed` (reason: provider unavailable) is raised and nothing
    counts as passed.
    """

    is_sandbox = False

    def __init__(
        self,
        base_url: str,
        api_key: str = "",
        *,
        timeout_s: float = 5.0,  # float-ok: seconds
        retries: int = 2,
        name: str = "http",
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url:
            raise ValueError("the identity provider needs a base URL (PUHUI_IDENTITY_BASE_URL)")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self._sleep = sleep
        self._rng = random.Random()
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout_s, headers=headers, transport=transport)

    def _post(self, path: str, **kwargs: Any) -> dict[str, Any]:
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                # exponential backoff with jitter: 0.2 s, 0.4 s, … ± 20 %
                self._sleep(0.2 * 2 ** (attempt - 1) * self._rng.uniform(0.8, 1.2))
            try:
                response = self._client.post(self.base_url + path, **kwargs)
            except httpx.HTTPError as exc:
                last = exc
                continue
            if response.status_code >= 500:
                last = RuntimeError(str(response.status_code))
                continue
            if response.status_code >= 400:
                break
            try:
                body = response.json()
            except ValueError:
                break
            if isinstance(body, dict):
                return body
            break
        raise VerificationFailed(
            reason_zh="核验服务暂不可用，请稍后再试", reason_en="the provider is unavailable"
        ) from last

    def _result(self, body: dict[str, Any]) -> CheckResult:
        score = body.get("score")
        score_bp = round(float(score) * 10_000) if isinstance(score, int | float) else None
        passed = body.get("result") == "match" and (score_bp is None or score_bp >= FACE_PASS_BP)
        reason = str(body.get("reason") or body.get("result") or "unknown")[:40]
        return CheckResult(
            passed, reason, self.name, str(body.get("id") or "")[:64], False, score_bp, body
        )

    def two_factor(self, person_name: str, resident_id: str) -> CheckResult:
        return self._result(
            self._post("/two-factor", json={"name": person_name, "resident_id": resident_id})
        )

    def three_factor(self, person_name: str, resident_id: str, mobile: str) -> CheckResult:
        body = {"name": person_name, "resident_id": resident_id, "mobile": mobile}
        return self._result(self._post("/three-factor", json=body))

    def face(
        self, person_name: str, resident_id: str, video: bytes, content_type: str
    ) -> CheckResult:
        return self._result(
            self._post(
                "/face",
                data={"name": person_name, "resident_id": resident_id},
                files={"video": ("selfie", video, content_type or "video/webm")},
            )
        )


# ------------------------------------------------------------------------------ settings


class IdentitySettings(BaseSettings):
    """`PUHUI_IDENTITY_*`: which provider, and the face-check and retention rules.

    PUHUI_IDENTITY_PROVIDER=http with PUHUI_IDENTITY_BASE_URL / PUHUI_IDENTITY_API_KEY for a
    real provider; `sandbox` (the default) only in development, demo and test.
    """

    model_config = SettingsConfigDict(env_prefix="PUHUI_IDENTITY_", extra="ignore")

    provider: Literal["sandbox", "http"] = "sandbox"
    base_url: str = ""
    api_key: str = ""
    timeout_s: float = 5.0  # float-ok: seconds
    face_on_first_credit: bool = True
    face_above_fen: int = 50_000_000
    face_on_new_device: bool = True
    face_valid_days: int = 30
    # Raw selfie captures are kept encrypted this long, then purged (evidence hashes stay).
    capture_retention_days: int = 30
    # A three-factor verification counts this long.
    three_factor_valid_days: int = 365


@dataclass(frozen=True)
class IdentityProviders:
    two_factor: TwoFactorVerifier
    three_factor: ThreeFactorVerifier
    face: FaceVerifier
    settings: IdentitySettings

    @property
    def is_sandbox(self) -> bool:
        return self.three_factor.is_sandbox or self.face.is_sandbox


def build_identity(
    core: Settings,
    directory: Callable[[], PeopleDirectory],
    settings: IdentitySettings | None = None,
) -> IdentityProviders:
    """The providers from settings; the sandbox (its directory built lazily) only where allowed."""
    settings = settings or IdentitySettings()
    provider: Any
    if settings.provider == "http":
        provider = HttpIdentityProvider(
            settings.base_url, settings.api_key, timeout_s=settings.timeout_s
        )
    else:
        refuse_sandbox_outside_development(core, "identity provider (PUHUI_IDENTITY_PROVIDER)")
        provider = SandboxIdentityProvider(_LazyDirectory(directory))
    return IdentityProviders(provider, provider, provider, settings)


class _LazyDirectory:
    """Builds the world's directory on first use (generating the world takes a while)."""

    def __init__(self, factory: Callable[[], PeopleDirectory]) -> None:
        self._factory = factory
        self._built: PeopleDirectory | None = None

    def lookup(self, resident_id: str) -> RegisteredPerson | None:
        if self._built is None:
            self._built = self._factory()
        return self._built.lookup(resident_id)


@dataclass
class ListedPeople:
    """A directory of the people given (tests, and extra sandbox people beside the world)."""

    people: dict[str, RegisteredPerson] = field(default_factory=dict)
    fallback: PeopleDirectory | None = None

    def add(self, name: str, resident_id: str, mobile: str) -> None:
        self.people[resident_id] = RegisteredPerson(name, mobile, photo_ref(resident_id))

    def lookup(self, resident_id: str) -> RegisteredPerson | None:
        found = self.people.get(resident_id)
        if found is None and self.fallback is not None:
            return self.fallback.lookup(resident_id)
        return found
