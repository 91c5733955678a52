"""Socket.IO real-time layer: rooms, chat, pins and in-stream purchases."""
