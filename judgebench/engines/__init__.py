"""Judge engines: one protocol, an OpenAI-compatible HTTP engine and an in-process vLLM engine."""

from judgebench.engines.base import Completion, Engine, EngineEvent, EventHandler, JudgeRequest

__all__ = ["Completion", "Engine", "EngineEvent", "EventHandler", "JudgeRequest"]
