"""Language models: llama.cpp in-process, or an OpenAI-compatible server, behind one interface."""
