"""What Scopus and ScienceDirect share: both are Elsevier APIs with one key, one institution
token and one error-body shape. Not a source itself (the registry skips `_` modules)."""

from __future__ import annotations

from slr.errors import SourceError
from slr.http import Response
from slr.records import clean_text
from slr.sources.base import Source

KEY = "ELSEVIER_API_KEY"
TOKEN = "ELSEVIER_INSTTOKEN"


def headers(source: Source, **extra: str) -> dict[str, str]:
    """JSON in, plus the API key and the institution token when they are set."""
    out = {"Accept": "application/json", **extra}
    key, token = source.secret(KEY), source.secret(TOKEN)
    if key:
        out["X-ELS-APIKey"] = key
    if token:
        out["X-ELS-Insttoken"] = token
    return out


def error_message(response: Response) -> str | None:
    """The message of an Elsevier error body (`service-error` or `error-response`)."""
    try:
        data = response.json()
    except SourceError:
        text = clean_text(response.text)
        return text[:200] if text else None
    if not isinstance(data, dict):
        return None
    status = (data.get("service-error") or {}).get("status") or {}
    if status:
        code, text = status.get("statusCode"), status.get("statusText")
        return ": ".join(str(x) for x in (code, text) if x) or None
    err = data.get("error-response") or {}
    if err:
        code, text = err.get("error-code"), err.get("error-message")
        return ": ".join(str(x) for x in (code, text) if x) or None
    message = data.get("message") or data.get("error")
    return str(message)[:300] if message else None
