"""FLUX.1 Kontext engine: a long-lived model process behind a small HTTP protocol on loopback."""

__version__ = "0.1.0"
ENGINE_ID = f"kontext-diffusers/{__version__}"
