"""Remix a clip: inherit its recipe, apply an edit, re-generate, record the lineage.

>>> from sora_widgets.remix import remix
>>> child = remix(store, parent_id, "now on the moon", author="bo")
>>> grandchild = remix(store, child, "make it blue", author="cy", seed=3)

For the ``sim`` engine the edit changes the parent's *scene* (``clip.meta["scene"]``)
and keeps the rest: "now on the moon", "make it blue", "add two more balls",
"in the rain"; a different ``seed=`` re-rolls the physics. For diffusers engines
the remix is video-to-video from the parent's frames (``strength`` 0..1: how far
it may move) with the new prompt. Either way the child goes through the one save
path (:func:`sora_widgets.publishing.publish`: moderation, then the store with
the remix edge) and into the lineage index.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .access import can_view
from .engines.options import DEFAULT_REMIX_STRENGTH
from .publishing import PublishResult, generate_checked, publish
from .store import NotFound, Store, normalise_handle

__all__ = ["remix", "remix_clip", "remix_request"]

#: Recipe fields a remix inherits from its parent unless ``**changes`` overrides them.
INHERITED = ("duration", "fps", "width", "height", "negative_prompt", "steps", "guidance")
#: Recipe options that belong to one generation and are not inherited.
_NOT_INHERITED_OPTIONS = {"base_scene", "model_path_used", "_truncated_from_chars"}
#: Edit text that leaves a sim scene as it is (used when only the seed or a setting changes).
_SAME_SCENE = "same scene"


def remix_request(
    store: Store,
    parent_id: str,
    prompt: str | None,
    *,
    author: str,
    seed: int | None = None,
    strength: float | None = None,
    engine: str | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """The keyword arguments of ``generate`` for a remix of ``parent_id``, after checking ``author`` may see it.

    Returned as a dict (prompt, engine, seed, duration, ..., options) so a widget
    can show what will be generated before it runs. Raises ``PermissionError``
    when the parent is a draft of someone else, removed or held, and
    ``ValueError`` when there is nothing to change.
    """
    author = normalise_handle(author)
    decision = can_view(store, parent_id, author)
    if not decision:
        raise PermissionError(f"you cannot remix clip {parent_id}: {decision.reason}")
    info = store.clip_info(parent_id)
    recipe = dict(info.get("recipe") or {})
    meta = info.get("meta") or {}
    edit_text = (prompt or "").strip()
    if not edit_text and seed is None and not changes and strength is None:
        raise ValueError("say what to change: an edit such as 'now on the moon' or 'make it blue', or a new seed=")
    engine = engine or recipe.get("engine") or info.get("engine") or "sim"
    kwargs: dict[str, Any] = {k: recipe[k] for k in INHERITED if recipe.get(k) is not None}
    options = {k: v for k, v in (recipe.get("options") or {}).items() if k not in _NOT_INHERITED_OPTIONS}
    kwargs["seed"] = int(seed) if seed is not None else recipe.get("seed", 0)
    if engine == "sim":
        kwargs["prompt"] = edit_text or _SAME_SCENE
        options["base_scene"] = meta.get("scene") or _scene_of_prompt(info.get("prompt") or recipe.get("prompt"))
        if meta.get("picture_media") and "image" not in changes:
            # a clip made from a picture is remixed from that picture (checked above: the author may see it)
            from .pictures import stored_picture

            kwargs["image"] = stored_picture(store, meta["picture_media"])
    else:
        # Video-to-video: the parent's frames, the new prompt (or the parent's when only the seed/strength change).
        if not info.get("media_hash"):
            raise ValueError(
                f"clip {parent_id} is a record without video, so it cannot be remixed video-to-video; "
                "remix it with engine='sim'"
            )
        kwargs["prompt"] = edit_text or recipe.get("prompt") or info.get("prompt") or ""
        kwargs["parent"] = store.get_clip(parent_id)
        kwargs["strength"] = DEFAULT_REMIX_STRENGTH if strength is None else float(strength)
    # Keep only the options the target engine knows (a parent made with another engine may carry others).
    from .engines import get_engine

    known = get_engine(engine).options
    kwargs.update({k: v for k, v in options.items() if k in known})
    kwargs.update(changes)
    kwargs["engine"] = engine
    return kwargs


def remix_clip(
    store: Store,
    parent_id: str,
    prompt: str | None,
    *,
    author: str,
    seed: int | None = None,
    strength: float | None = None,
    engine: str | None = None,
    on_progress: Callable | None = None,
    cancel: threading.Event | None = None,
    status: str = "published",
    **changes: Any,
) -> PublishResult:
    """Like :func:`remix` (same arguments) but returns the :class:`~sora_widgets.publishing.PublishResult`.

    Its ``status`` is "held" when moderation holds the remix for review; ``clip_id`` is the new clip.
    """
    author = normalise_handle(author)
    kwargs = remix_request(store, parent_id, prompt, author=author, seed=seed, strength=strength,
                           engine=engine, **changes)
    gen_prompt = kwargs.pop("prompt")
    clip = generate_checked(store, gen_prompt, user=author, on_progress=on_progress, cancel=cancel, **kwargs)
    parent_prompt = store.clip_info(parent_id).get("prompt")
    clip.meta["remix_of"] = parent_id
    clip.meta["parent_prompt"] = parent_prompt
    operation = "remix" if kwargs["engine"] == "sim" else "v2v"
    edit = {
        "prompt": (prompt or "").strip(),
        "changes": {k: v for k, v in {"seed": seed, "strength": strength, **changes}.items() if v is not None},
        "engine": kwargs["engine"],
    }
    result = publish(store, clip, user=author, status=status, parent_id=parent_id, operation=operation,
                     edit=edit, reuses_material=True)
    return result  # store.save_clip indexed it in the lineage table


def remix(
    store: Store,
    parent_id: str,
    prompt: str | None,
    *,
    author: str,
    seed: int | None = None,
    strength: float | None = None,
    engine: str | None = None,
    on_progress: Callable | None = None,
    cancel: threading.Event | None = None,
    status: str = "published",
    **changes: Any,
) -> str:
    """Remix ``parent_id`` as ``author`` with the edit ``prompt``, save it through publishing, return its id.

    The child inherits the parent's recipe (engine, seed, duration, fps, size,
    negative prompt, steps, guidance, engine options) and changes only what the
    edit and ``**changes`` say; it is generated (prompt moderation first), checked
    and saved by :func:`sora_widgets.publishing.publish` with a remix edge, and
    indexed in the lineage.

    Args:
        store (`Store`): where the parent is and the child goes.
        parent_id (`str`): the clip to remix; ``author`` must be allowed to see it (a draft of someone
            else, a held or a removed clip raises ``PermissionError``).
        prompt (`str` or `None`): the edit. For ``sim``: a change to the parent's scene ("now on the moon",
            "make it blue", "add two more balls", "in the rain"). For diffusers engines: the new prompt of a
            video-to-video pass over the parent's frames. May be empty when ``seed`` or another change is given.
        author (`str`): the handle of the creator remixing (owner of the child).
        seed (`int`, *optional*, defaults to the parent's): a new seed re-rolls the physics / the noise.
        strength (`float`, *optional*, defaults to `DEFAULT_REMIX_STRENGTH` = 0.6): for diffusers engines, how
            far the child may move from the parent's frames, 0 (keep) .. 1 (ignore); one definition in
            :mod:`sora_widgets.engines.options`. Ignored by ``sim``, which edits the scene instead.
        engine (`str`, *optional*, defaults to the parent's engine): the engine to generate with.
        on_progress (`Callable[[int, int, np.ndarray | None], None]`, *optional*): generation progress
            ``f(step, total, preview_frame_or_None)``, as for :func:`sora_widgets.generate`.
        cancel (`threading.Event`, *optional*): set it to stop; ``Cancelled`` is raised and nothing is saved.
        status (`str`, *optional*, defaults to `"published"`): ``"published"`` or ``"draft"``.
        **changes: recipe fields to override: ``duration`` (seconds), ``fps``, ``width``/``height`` (pixels),
            engine options; limits as in :func:`sora_widgets.engines.engine_options`.

    Returns:
        `str`: the new clip's id.

    Raises:
        PermissionError: ``author`` may not see the parent. ValueError: nothing to change.
        Blocked: moderation refused the edit or the result (nothing saved).
    """
    return remix_clip(store, parent_id, prompt, author=author, seed=seed, strength=strength, engine=engine,
                      on_progress=on_progress, cancel=cancel, status=status, **changes).clip_id


def _scene_of_prompt(prompt: str | None) -> dict:
    """The sim scene of a clip stored without one (a lightweight record): parse its prompt."""
    if not prompt:
        raise NotFound("the clip has neither a scene nor a prompt to remix")
    from .engines.sim import parse_prompt

    scene = parse_prompt(prompt)
    scene.pop("unparsed", None)
    scene.pop("notes", None)
    return scene
