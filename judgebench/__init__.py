"""judgebench: rank language models with an LLM judge, with honest uncertainty.

Heavy dependencies (openai, vllm, pandas) are imported lazily by the modules that need them, so that
`judgebench --help` and `judgebench leaderboard` start fast.
"""

__version__ = "0.1.0"
