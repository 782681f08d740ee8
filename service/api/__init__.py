"""The HTTP API: `create_app(settings)` builds the FastAPI app; one module per concern.

- `events`: append, read a stream, replay and tail the log, one event
- `reads`: agreements, timelines, entities
- `integrity`: /verify and /feed.atom
- `proofs`: signed checkpoints, the verifier key, inclusion and consistency proofs, proof bundles
- `health`: /health and /metrics
- `problems`, `middleware`, `auth`: how requests fail, are counted and are let in
- `follower`: the background catch-up that keeps the read models level with the log
"""

from service.api.app import create_app

__all__ = ["create_app"]
