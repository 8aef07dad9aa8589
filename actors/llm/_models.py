"""Which model to ask for, from what `GET /v1/models` lists. Pure.

Servers list more than chat models: LM Studio lists its embedding models (first, often),
vLLM and LiteLLM may serve rerankers and speech models beside the chat one. Auto-detection
takes the first model that can chat: one whose listing says it cannot (LM Studio's
`"type": "embeddings"`, a `capabilities` list without completion or chat) or whose id names
another job (embed, rerank, whisper, tts ...) is skipped. A named model matches exactly, else
as `name:latest` (Ollama lists `llama3.2:latest` for `llama3.2`), else case-insensitively; a
name the server does not list is a `model_not_found` error that says what it does list.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from actors.llm._errors import LLMError

NOT_CHAT_TYPES = frozenset({"embeddings", "embedding", "embed", "rerank", "reranker", "tts", "stt", "asr",
                            "transcription", "image", "moderation"})
NOT_CHAT_ID = re.compile(r"embed|rerank|whisper|(^|[-_/:.])tts([-_/:.]|$)|dall-e|moderation|bge-|(^|[-_/])e5-|"
                         r"(^|[-_/])gte-|minilm|sentence-transformers|clip-vit", re.I)


def model_ids(listed: Iterable[Any]) -> list[str]:
    return [str(m["id"]) if isinstance(m, dict) else str(m) for m in listed]


def can_chat(entry: Any) -> bool:
    """False when the listing (or, failing that, the id) says this model does something else."""
    if not isinstance(entry, dict):
        entry = {"id": str(entry)}
    kind = str(entry.get("type") or entry.get("task") or "").lower()
    if kind in NOT_CHAT_TYPES:
        return False
    caps = entry.get("capabilities")
    if isinstance(caps, list) and caps and not {"completion", "chat", "chat_completion"} & {str(c).lower() for c in caps}:
        return False
    return not NOT_CHAT_ID.search(str(entry.get("id", "")))


def choose_model(listed: list[Any], wanted: str = "", refused: Iterable[str] = ()) -> str:
    """The model id to send: `wanted` as the server names it, else the first chat model not in
    `refused` (models that answered "cannot chat"). Raises LLMError (model_not_found / not_chat)."""
    ids = model_ids(listed)
    shown = ", ".join(ids[:6]) + (" ..." if len(ids) > 6 else "") if ids else "nothing"
    if wanted:
        for candidate in (wanted, f"{wanted}:latest"):
            if candidate in ids:
                return candidate
        folded = [i for i in ids if i.lower() in (wanted.lower(), f"{wanted.lower()}:latest")]
        if folded:
            return folded[0]
        if not ids:  # a server that lists nothing (or has no /models): take the name on trust
            return wanted
        raise LLMError(f"the server does not list model {wanted!r} (it lists {shown})", kind="model_not_found")
    refused = set(refused)
    chat = [i for m, i in zip(listed, ids) if can_chat(m) and i not in refused]
    if chat:
        return chat[0]
    if not ids:
        raise LLMError("the server lists no models (GET /v1/models): load one, or set llm.model",
                       kind="model_not_found")
    raise LLMError(f"the server lists no chat model (it lists {shown}): load one, or set llm.model",
                   kind="not_chat")
