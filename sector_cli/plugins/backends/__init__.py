"""Built-in backends: the bundled local model (llama.cpp), Ollama, OpenAI-compatible APIs."""
