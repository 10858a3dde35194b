"""Payment providers behind one small interface (hanji.memberships.providers.base).

    get_provider(name, settings) -> Provider        "stripe" or "portone"

Each provider verifies its own webhooks (a bad, missing or stale signature raises
BadSignature; an empty signing secret refuses every webhook) and turns them into changes
through hanji.memberships.events, which alone moves member state.
"""

from __future__ import annotations

from hanji.memberships.providers.base import BadSignature, Provider, ProviderError

__all__ = ["BadSignature", "Provider", "ProviderError", "get_provider"]


def get_provider(name: str, settings) -> Provider:
    if name == "stripe":
        from hanji.memberships.providers.stripe import StripeProvider

        return StripeProvider(settings)
    if name == "portone":
        from hanji.memberships.providers.portone import PortOneProvider

        return PortOneProvider(settings)
    raise ProviderError(f"unknown payment provider {name!r}")
