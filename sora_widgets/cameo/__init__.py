"""Cameos: put yourself, your pet or your mug into any scene - with the owner in control.

>>> from sora_widgets import cameo
>>> ch = cameo.new_challenge(store, "alice")           # say ch.phrase on camera
>>> cid = cameo.create(store, owner="alice", clip=upload, kind="person", name="alice", challenge=ch)
>>> cameo.set_audience(store, cid, by="alice", audience="approved", approved=["bob"])
>>> asset = cameo.use(store, cid, user="bob")          # checked and recorded
>>> clip = sora_widgets.generate("@alice surfs a huge wave", cameos=[asset])
"""

from .asset import KINDS, CameoAsset, CameoError
from .consent import (
    AUDIENCES,
    can_use,
    create,
    delete,
    get,
    link_uses,
    list_cameos,
    remove_use,
    revoke,
    set_audience,
    use,
    uses,
)
from .extract import check_upload, extract
from .verify import Challenge, Verification, new_challenge, verify

__all__ = [
    "AUDIENCES",
    "KINDS",
    "CameoAsset",
    "CameoError",
    "Challenge",
    "Verification",
    "can_use",
    "check_upload",
    "create",
    "delete",
    "extract",
    "get",
    "link_uses",
    "list_cameos",
    "new_challenge",
    "remove_use",
    "revoke",
    "set_audience",
    "use",
    "uses",
    "verify",
]
