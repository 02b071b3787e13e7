"""Profile: the vision language model client (OpenAI API, any compatible server), its prompts,
providers and API key, and the strict parsing of its replies into an Audience."""
