"""The wire contract shared by the HTTP edge and the live room: what each answer looks like."""
