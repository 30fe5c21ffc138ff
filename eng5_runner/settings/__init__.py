"""Settings: compose the Hydra config, validate it into typed models, resolvers."""
