"""WebRTC ingest (WHIP) and encoded-frame fan-out (WHEP): the media core."""
