"""The assistant: mentions resolved into context, prompts within budget, streamed answers."""
