"""Followers' open pages: every signed-in socket is in the room of each host its account
follows, so a host going live is one emit that reaches them all, on every node (through the
Socket.IO manager), whatever page they have open.

The rooms are entered at connection (from the account's follows) and when the account follows
or unfollows on this node; its sockets on other nodes enter at their next connection.
"""

from __future__ import annotations

import logging
from typing import Any

from chat import events
from chat.room_base import RoomBase
from server.core.domain.roles import Principal
from server.core.services.notifications import HostWentLive

logger = logging.getLogger(__name__)


def followers_room(host_id: int) -> str:
    return f"followers:{host_id}"


class FollowingRoom(RoomBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._followed: dict[str, set[int]] = {}  # per local socket: the hosts it follows

    def hear_following(self) -> None:
        """Subscribe to the announcements and to this node's follows (the composition root)."""
        self._services.notifications.on_announcement(self._host_live)
        self._services.following.on_follow_change(self._follow_changed)

    async def _enter_follower_rooms(self, sid: str, principal: Principal) -> None:
        if principal.user_id is None:
            return
        hosts = await self._services.following.follows(principal.user_id)
        self._followed[sid] = set(hosts)
        for host_id in hosts:
            await self.enter_room(sid, followers_room(host_id))

    def _follows_host(self, sid: str, host_id: int) -> bool:
        """For followers-only mode: does this socket's account follow the host?"""
        return host_id in self._followed.get(sid, ())

    def _forget_follows(self, sid: str) -> None:
        self._followed.pop(sid, None)

    async def _host_live(self, live: HostWentLive) -> None:
        toast = {
            "stream_id": live.stream_id,
            "host_id": live.host_id,
            "host": live.host_name,
            "title": live.title,
            "watch_url": f"/watch/{live.stream_id}",
        }
        await self.emit(events.HOST_LIVE, toast, room=followers_room(live.host_id))

    async def _follow_changed(self, user_id: int, host_id: int, following: bool) -> None:
        room = followers_room(host_id)
        for sid, member in list(self._members.items()):
            if member.principal is None or member.principal.user_id != user_id:
                continue
            hosts = self._followed.setdefault(sid, set())
            if following:
                hosts.add(host_id)
                await self.enter_room(sid, room)
            else:
                hosts.discard(host_id)
                await self.leave_room(sid, room)
