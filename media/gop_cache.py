"""The show's current group of pictures, so a joining viewer gets a picture at once.

Packets since the last keyframe are kept while that keyframe is young. A viewer that connects
then gets them in one burst instead of waiting for the host's next keyframe. Their timestamps
are squeezed to just before the newest one, so the viewer's player shows the latest picture
now instead of replaying the past in real time (which would add the GOP's age as latency).
"""

from __future__ import annotations

from media.packets import TIMESTAMP_SPACE, ShowPacket


class GopCache:
    def __init__(self, max_packets: int, max_age_s: float) -> None:
        self._max_packets = max_packets
        self._max_age_s = max_age_s
        self._packets: list[ShowPacket] = []
        self._keyframe_timestamp: int | None = None

    def add(self, packet: ShowPacket) -> None:
        # A keyframe's SPS, PPS and IDR can come in separate packets of one timestamp.
        if packet.keyframe and packet.timestamp != self._keyframe_timestamp:
            self._packets = [packet]
            self._keyframe_timestamp = packet.timestamp
        elif self._packets:
            if len(self._packets) >= self._max_packets:
                self.clear()  # a GOP this long is too much to burst: wait for the next one
            else:
                self._packets.append(packet)

    def clear(self) -> None:
        self._packets = []
        self._keyframe_timestamp = None

    def fresh(self, now: float) -> list[ShowPacket]:
        """The cached GOP if its keyframe is young enough to be worth sending, else []."""
        if not self._packets or now - self._packets[0].arrival > self._max_age_s:
            return []
        return list(self._packets)

    def __len__(self) -> int:
        return len(self._packets)


def squeezed(packets: list[ShowPacket], ssrc: int) -> list[ShowPacket]:
    """The packets with their frames' timestamps packed one tick apart, ending on the newest."""
    order = list(dict.fromkeys(p.timestamp for p in packets))
    newest = order[-1]
    retimed = {ts: (newest - (len(order) - 1 - i)) % TIMESTAMP_SPACE for i, ts in enumerate(order)}
    return [p.retimed(retimed[p.timestamp], ssrc) for p in packets]
