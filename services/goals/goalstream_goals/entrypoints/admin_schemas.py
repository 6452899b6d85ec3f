"""Request and response bodies of the admin API (organisations and API keys)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field

from goalstream_contracts.identity import Scope
from goalstream_goals.adapters.organisations import ORG_ID_PATTERN
from goalstream_goals.entrypoints.schemas import Strict
from goalstream_goals.service_layer.identity import IssuedKey, KeyInfo, OrganisationInfo

Scopes = Annotated[
    list[Scope],
    Field(min_length=1, max_length=3, description="what the key may do: read, write, admin (admin implies all)"),
]


class KeyIn(Strict):
    scopes: Scopes = Field(default=["read", "write"])


class OrganisationIn(Strict):
    org_id: str = Field(pattern=ORG_ID_PATTERN, examples=["acme"], description="letters, digits, . _ -; at most 100")
    name: str = Field(
        min_length=1, max_length=200, examples=["Acme Corporation"], description="the organisation's name, for people"
    )
    scopes: Scopes = Field(default=["read", "write", "admin"], description="scopes of the organisation's first key")


class OrganisationView(BaseModel):
    org_id: str = Field(description="the organisation's id")
    name: str = Field(description="its name")
    created_at: AwareDatetime = Field(description="when it was created")

    @classmethod
    def of(cls, org: OrganisationInfo) -> OrganisationView:
        return cls(org_id=org.org_id, name=org.name, created_at=org.created_at)


class OrganisationPage(BaseModel):
    items: list[OrganisationView] = Field(description="organisations by id")
    next_after: str | None = Field(description="pass as `after` for the next page; null on the last page")


class KeyView(BaseModel):
    """A key as listed: never the key nor its hash."""

    key_id: str = Field(description="the key's id (not the key)")
    org_id: str = Field(description="the organisation it belongs to")
    prefix: str = Field(description="the key's first characters, to recognise it")
    scopes: list[str] = Field(description="what the key may do: read, write, admin")
    created_at: AwareDatetime = Field(description="when it was issued")
    revoked_at: AwareDatetime | None = Field(description="when it was revoked; null while it works")

    @classmethod
    def of(cls, k: KeyInfo) -> KeyView:
        return cls(
            key_id=k.key_id,
            org_id=k.org_id,
            prefix=k.prefix,
            scopes=list(k.scopes),
            created_at=k.created_at,
            revoked_at=k.revoked_at,
        )


class IssuedKeyView(KeyView):
    key: str = Field(description="the key itself: shown this once, never again (only its hash is kept)")

    @classmethod
    def issued(cls, issued: IssuedKey) -> IssuedKeyView:
        return cls(key=issued.key, **KeyView.of(issued.info).model_dump())


class OrganisationCreatedView(BaseModel):
    organisation: OrganisationView = Field(description="the organisation created")
    key: IssuedKeyView = Field(description="its first API key")
