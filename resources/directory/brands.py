"""The brand editor's service: draft, upload, publish, roll back, history, the internal feed.

Who: callers holding `directory:manage-brand` edit the brand of their own org (a provider or a
reseller) or of a reseller below it (`org_id`); any other org — another reseller's, a customer,
one above — answers 404 exactly like an unknown one. Host names route sign-ins between brands,
so only provider staff may set them (a reseller could otherwise claim another brand's host).

Publish and rollback own their transaction: `directory.brands-changed` `{"org_id"}` is published
only after the commit. The inherited values (for the preview and the contrast check) come from
the built-in file brands (`Builtins`) overlaid with the published versions above the org.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from branding import Brand, BrandRegistry, PublishedBrand
from resources.directory import brand_lifecycle as life
from resources.directory import brand_repository as brands_repo
from resources.directory import repository as repo
from resources.directory.audit import record
from resources.directory.brand_fields import (
    ASSET_FIELDS,
    asset_refs,
    builtin_layer,
    contrast_problems,
    merge,
    parse_fields,
)
from resources.directory.brand_models import BrandAsset, BrandVersion
from resources.directory.context import Context, Tx, transaction
from resources.directory.manifest import MANAGE_BRAND
from resources.directory.tenancy import DEFAULT_BRAND, OrgNode, OrgTree
from resources.directory.uploads import ImageInfo, Kind, validate_image
from resources.kit.caller import Caller
from resources.kit.errors import ProblemError, ValidationFailed

BRANDS_CHANGED = "directory.brands-changed"
BRAND_KINDS = frozenset({"provider", "reseller"})
Builtins = Callable[[str], Mapping[str, Any]]  # brand id → what its brand.toml sets ({} if none)


def builtins_from(registry: BrandRegistry) -> Builtins:
    known = set(registry.ids())

    def layer(brand_id: str) -> Mapping[str, Any]:
        if brand_id not in known:
            return {}
        brand = registry.get(brand_id)
        return builtin_layer(brand, registry.get(brand.parent) if brand.parent else None)

    return layer


def no_builtins(brand_id: str) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True, kw_only=True)
class BrandTarget:
    """The org whose brand is edited, with where it sits in the tree."""

    org: OrgNode
    brand_id: str
    parent_brand: str | None
    above: tuple[OrgNode, ...]  # brand-owning orgs above it, top first


@dataclass(frozen=True, kw_only=True)
class EditorState:
    target: BrandTarget
    draft: BrandVersion | None
    published: BrandVersion | None
    history: list[BrandVersion]
    assets: list[BrandAsset]
    inherited: dict[str, Any]  # everything above the org, resolved
    own: dict[str, Any]  # the draft's overrides, else the published ones

    @property
    def effective(self) -> dict[str, Any]:
        return merge([self.inherited, self.own])


def brand_id_of(node: OrgNode) -> str:
    if node.brand:
        return node.brand
    return DEFAULT_BRAND if node.kind == "provider" else node.id


def not_found() -> ProblemError:
    return ProblemError(404, detail="no such brand")


def _target(tree: OrgTree, org_id: str) -> BrandTarget:
    node = tree.get(org_id)
    if node is None or node.kind not in BRAND_KINDS:
        raise not_found()
    above = tuple(reversed([o for o in tree.ancestors(org_id)[1:] if o.kind in BRAND_KINDS]))
    return BrandTarget(
        org=node, brand_id=brand_id_of(node), above=above,
        parent_brand=tree.brand(node.parent_id) if node.parent_id else None,
    )  # fmt: skip


async def target_for(tx: Tx, caller: Caller, org_id: str | None = None) -> BrandTarget:
    if not caller.has(MANAGE_BRAND):
        raise ProblemError(403, detail=f"you lack {MANAGE_BRAND}")
    tree = await repo.load_tree(tx.session)
    wanted = org_id or caller.org_id
    if wanted not in tree.visible(caller.org_id, caller.scope_for(MANAGE_BRAND)):
        raise not_found()
    return _target(tree, wanted)


async def _inherited(tx: Tx, target: BrandTarget, builtins: Builtins) -> dict[str, Any]:
    published = {
        v.org_id: v.fields for v in await brands_repo.published(tx.session, [o.id for o in target.above])
    }
    layers: list[Mapping[str, Any]] = []
    if not any(brand_id_of(o) == DEFAULT_BRAND for o in target.above) and target.brand_id != DEFAULT_BRAND:
        layers.append(builtins(DEFAULT_BRAND))
    for node in target.above:
        layers += [builtins(brand_id_of(node)), published.get(node.id, {})]
    layers.append(builtins(target.brand_id))
    return merge(layers)


async def editor(tx: Tx, *, caller: Caller, org_id: str | None = None, builtins: Builtins) -> EditorState:
    target = await target_for(tx, caller, org_id)
    draft = await brands_repo.in_state(tx.session, target.org.id, life.DRAFT)
    published = await brands_repo.in_state(tx.session, target.org.id, life.PUBLISHED)
    current = draft or published
    return EditorState(
        target=target, draft=draft, published=published,
        history=await brands_repo.versions_of(tx.session, target.org.id),
        assets=await brands_repo.assets_of(tx.session, target.org.id),
        inherited=await _inherited(tx, target, builtins), own=dict(current.fields) if current else {},
    )  # fmt: skip


async def _is_provider(tx: Tx, caller: Caller) -> bool:
    root = (await repo.load_tree(tx.session)).root()
    return root is not None and caller.org_id == root.id


async def _check_fields(
    tx: Tx, target: BrandTarget, fields: Mapping[str, Any], was: Mapping[str, Any], *, may_set_hosts: bool
) -> None:
    """What parse_fields cannot know: assets exist with the right kind; hosts are the provider's
    to set and must not be another published brand's."""
    refs = asset_refs(fields)
    kinds = await brands_repo.asset_kinds(tx.session, target.org.id, set(refs.values()))
    errors = [
        {"field": key, "message": f"No uploaded {ASSET_FIELDS[key]} has that reference."}
        for key, sha in sorted(refs.items())
        if kinds.get(sha) != ASSET_FIELDS[key]
    ]
    if fields.get("hosts") != was.get("hosts"):
        if not may_set_hosts:
            errors.append({"field": "hosts", "message": "Only the provider can change host names."})
        taken = await _hosts_in_use(tx, exclude=target.org.id)
        errors += [
            {"field": "hosts", "message": f"{h} is already used by the brand of {taken[h]}."}
            for h in fields.get("hosts", ())
            if h in taken
        ]
    if errors:
        raise ValidationFailed(errors)


async def _hosts_in_use(tx: Tx, *, exclude: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for version in await brands_repo.published(tx.session):
        if version.org_id != exclude:
            out.update(dict.fromkeys(version.fields.get("hosts", ()), version.org_id))
    return out


async def save_draft(
    tx: Tx, *, caller: Caller, fields: Mapping[str, Any], org_id: str | None = None
) -> BrandVersion:
    """Replace the draft's overrides with `fields` (validated); the first save starts a draft."""
    target = await target_for(tx, caller, org_id)
    clean = parse_fields(fields)
    draft = await brands_repo.in_state(tx.session, target.org.id, life.DRAFT)
    published = await brands_repo.in_state(tx.session, target.org.id, life.PUBLISHED)
    before = dict(draft.fields) if draft else dict(published.fields) if published else {}
    provider = await _is_provider(tx, caller)
    if not provider and "hosts" not in fields and before.get("hosts"):
        clean["hosts"] = before["hosts"]  # not the caller's to change: carried over
    await _check_fields(tx, target, clean, before, may_set_hosts=provider)
    actor = caller.username
    if draft is None:
        number = await brands_repo.next_number(tx.session, target.org.id)
        draft = await life.create(
            tx.session, org_id=target.org.id, number=number, verb="save", fields=clean, actor=actor, at=tx.now
        )
    else:
        draft.fields = clean
        await life.transition(tx.session, draft, "save", actor=actor, at=tx.now)
    await record(
        tx, event="brand.draft", org_id=target.org.id, subject=f"brand:{target.brand_id}", caller=caller,
        before=before, after=clean, detail={"version": draft.version},
    )  # fmt: skip
    return draft


async def upload_asset(
    tx: Tx, *, caller: Caller, kind: Kind, data: bytes, org_id: str | None = None
) -> BrandAsset:
    """Validate and store an image (content-addressed: the same bytes are stored once)."""
    target = await target_for(tx, caller, org_id)
    info: ImageInfo = validate_image(data, kind=kind)
    sha = hashlib.sha256(info.data).hexdigest()
    existing = await brands_repo.get_asset(tx.session, target.org.id, sha)
    if existing is not None:
        if existing.kind != kind:
            raise ValidationFailed(
                [{"field": "file", "message": f"This image is already uploaded as a {existing.kind}."}]
            )
        return existing
    asset = await brands_repo.add_asset(tx.session, BrandAsset(
        sha256=sha, org_id=target.org.id, kind=kind, content_type=info.content_type, width=info.width,
        height=info.height, size=info.size, data=info.data, created_at=tx.now, created_by=caller.username,
    ))  # fmt: skip
    await record(
        tx, event="brand.asset", org_id=target.org.id, subject=f"brand:{target.brand_id}", caller=caller,
        detail={"sha256": sha, "kind": kind, "content_type": info.content_type, "size": info.size},
    )  # fmt: skip
    return asset


async def editor_asset(tx: Tx, *, caller: Caller, sha256: str, org_id: str | None = None) -> BrandAsset:
    target = await target_for(tx, caller, org_id)
    asset = await brands_repo.get_asset(tx.session, target.org.id, sha256)
    if asset is None:
        raise ProblemError(404, detail="no such asset")
    return asset


async def _go_live(
    tx: Tx,
    caller: Caller,
    target: BrandTarget,
    fields: Mapping[str, Any],
    old: BrandVersion | None,
    builtins: Builtins,
) -> None:
    """Contrast check on the resolved colours; then the current PUBLISHED version (if any) is
    superseded, making room for the one the caller moves in."""
    effective = merge([await _inherited(tx, target, builtins), fields])
    if problems := contrast_problems(effective.get("colours", {})):
        raise ValidationFailed(
            problems, detail="The colours do not reach WCAG AA contrast; nothing was published."
        )
    if old is not None:
        await life.transition(tx.session, old, "supersede", actor=caller.username, at=tx.now)
    if not target.org.brand:  # first publish of a reseller: its users' brand becomes this one
        await brands_repo.set_org_brand(tx.session, target.org.id, target.brand_id)
        tree = await repo.load_tree(tx.session)
        tx.mark_changed(*await brands_repo.user_ids_in(tx.session, tree.subtree(target.org.id)))


async def _audit(
    tx: Tx,
    caller: Caller,
    target: BrandTarget,
    event: str,
    *,
    before: BrandVersion | None,
    after: BrandVersion,
) -> None:
    detail: dict[str, Any] = {"version": after.version}
    if after.rolled_back_from is not None:
        detail["rolled_back_from"] = after.rolled_back_from
    if before is not None:
        detail["previous_version"] = before.version
    await record(
        tx, event=event, org_id=target.org.id, subject=f"brand:{target.brand_id}", caller=caller,
        before=dict(before.fields) if before else {}, after=dict(after.fields), detail=detail,
    )  # fmt: skip


async def publish(
    ctx: Context, *, caller: Caller, builtins: Builtins, org_id: str | None = None
) -> BrandVersion:
    """DRAFT → PUBLISHED (the previous PUBLISHED → OLD); 409 without a draft, 422 below AA."""
    async with transaction(ctx, write=True) as tx:
        target = await target_for(tx, caller, org_id)
        draft = await brands_repo.in_state(tx.session, target.org.id, life.DRAFT)
        if draft is None:
            raise ProblemError(409, detail="there is no draft to publish; save one first")
        old = await brands_repo.in_state(tx.session, target.org.id, life.PUBLISHED)
        # hosts in a draft were set by provider staff (save_draft refuses anyone else)
        await _check_fields(tx, target, draft.fields, old.fields if old else {}, may_set_hosts=True)
        await _go_live(tx, caller, target, draft.fields, old, builtins)
        await life.transition(tx.session, draft, "publish", actor=caller.username, at=tx.now)
        await _audit(tx, caller, target, "brand.publish", before=old, after=draft)
    await ctx.bus.publish(BRANDS_CHANGED, {"org_id": target.org.id})
    return draft


async def rollback(
    ctx: Context, *, caller: Caller, version: int, builtins: Builtins, org_id: str | None = None
) -> BrandVersion:
    """Publish a copy of an earlier version (`rolled_back_from`); the draft, if any, stays."""
    async with transaction(ctx, write=True) as tx:
        target = await target_for(tx, caller, org_id)
        source = await brands_repo.by_number(tx.session, target.org.id, version)
        if source is None:
            raise ProblemError(404, detail=f"no version {version} of this brand")
        if source.state != life.OLD:
            raise ProblemError(
                409,
                detail=f"version {version} is {source.state}; only an earlier published one can be restored",
            )
        old = await brands_repo.in_state(tx.session, target.org.id, life.PUBLISHED)
        number = await brands_repo.next_number(tx.session, target.org.id)
        await _check_fields(tx, target, source.fields, old.fields if old else {}, may_set_hosts=True)
        await _go_live(tx, caller, target, source.fields, old, builtins)
        restored = await life.create(
            tx.session, org_id=target.org.id, number=number, verb="rollback", fields=dict(source.fields),
            actor=caller.username, at=tx.now, rolled_back_from=version,
        )  # fmt: skip
        await _audit(tx, caller, target, "brand.rollback", before=old, after=restored)
    await ctx.bus.publish(BRANDS_CHANGED, {"org_id": target.org.id})
    return restored


async def published_records(tx: Tx, tree: OrgTree | None = None) -> list[dict[str, Any]]:
    """`GET /internal/brands`: every PUBLISHED version with where it inherits from."""
    tree = tree or await repo.load_tree(tx.session)
    out: list[dict[str, Any]] = []
    for version in await brands_repo.published(tx.session):
        node = tree.get(version.org_id)
        if node is None:
            continue
        out.append({
            "org_id": node.id, "brand_id": brand_id_of(node),
            "parent_brand": tree.brand(node.parent_id) if node.parent_id else None,
            "version": version.version, "fields": dict(version.fields),
        })  # fmt: skip
    return out


async def live_brand(tx: Tx, *, files: BrandRegistry, org_id: str) -> Brand:
    """The brand the org's people see now, as the gateway shows it: the file brands overlaid
    with every published version (a brand published in the portal names itself; the org's brand
    is read from the tree, not from a possibly older assertion)."""
    tree = await repo.load_tree(tx.session)
    records = [PublishedBrand.from_json(r) for r in await published_records(tx, tree)]
    return files.with_published(records).find(tree.brand(org_id))


async def asset_bytes(tx: Tx, *, sha256: str) -> BrandAsset | None:
    """`GET /internal/brand-assets/{sha256}` (any org's: they are public once referenced)."""
    return await brands_repo.any_asset(tx.session, sha256)
