"""`planact train`: supervised fine-tuning of the planner (or executor) on `planact synth export` data,
exported back to GGUF (llama.cpp) and a Hugging Face folder (vLLM)."""
