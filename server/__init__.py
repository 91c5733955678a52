"""Shopcast's server, in layers that import downward only (checked by `lint-imports`):

- `server.edge`: the doors (HTTP API, WHIP/WHEP, pages), the app and its composition root, the CLI;
- `chat`: the live room over Socket.IO;
- `server.contract`: what goes on the wire (request and response shapes);
- `server.core` and `media`: the rules, the durable record and the use cases; the WebRTC relay.
"""

__version__ = "0.1.0"
