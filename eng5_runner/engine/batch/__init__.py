"""Provider batch APIs (OpenAI Batch, Anthropic Message Batches): half price, resumable."""
