"""The room's auction events: the host or staff start and stop an auction, signed-in buyers bid
and set maximums, staff read the bids and remove a bidder (docs/protocol.md "Auctions").

Each handler validates, calls the auction service and answers; what the service decides
reaches the room as `auction_updated` / `auction_ended`, coalesced per batch window with the
auction's key like stock updates (chat/domain_events.py).
"""

from __future__ import annotations

import time
from typing import Any

from chat.acks import Ack, acked, ok
from chat.moderation import Person, SanctionKind, admission
from chat.moderation_events import ModerationEvents
from chat.permissions import Action
from chat.room_base import stream_ref
from chat.rules import RateLimiter
from server.contract.auctions import (
    AuctionRef,
    NewAuction,
    PlaceBid,
    RemoveBidder,
    SetMaxBid,
    auction_view,
    bid_answer,
    bid_view,
)
from server.core.domain.error_codes import AuctionCode, RoomCode
from server.core.domain.errors import Conflict, Forbidden, NotFound
from server.core.domain.roles import Principal
from server.core.stock.auction_book import BidRequest
from server.core.store.rows import Auction, Stream, utcnow

BID_BURST = 20  # a buyer's bids at once, then one per BID_REFILL_S
BID_REFILL_S = 0.05


class AuctionsRoom(ModerationEvents):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bid_limiter = RateLimiter(burst=BID_BURST, refill_s=BID_REFILL_S)

    @acked
    async def on_start_auction(self, sid: str, data: Any) -> Ack:
        stream, principal = await self._stream_of(sid)
        await self._may(stream, principal, Action.PIN)  # the host and the stream's staff
        spec = NewAuction.parse(data).spec()
        row = await self._services.auctions.start(None, stream.id, spec)
        return ok(auction=await self._auction_view(row))

    @acked
    async def on_stop_auction(self, sid: str, data: Any) -> Ack:
        stream, principal = await self._stream_of(sid)
        row = await self._auction_in(stream, AuctionRef.parse(data).auction_id)
        await self._may(stream, principal, Action.PIN)
        stopped = await self._services.auctions.stop(None, row.id)
        return ok(auction=await self._auction_view(stopped))

    @acked
    async def on_bid(self, sid: str, data: Any) -> Ack:
        bid = PlaceBid.parse(data)
        return await self._bid(sid, bid.auction_id, bid.request())

    @acked
    async def on_set_max_bid(self, sid: str, data: Any) -> Ack:
        bid = SetMaxBid.parse(data)
        return await self._bid(sid, bid.auction_id, bid.request())

    @acked
    async def on_auction_state(self, sid: str, data: Any) -> Ack:
        """The show's latest auction (running or not), or none: a page that joins asks."""
        stream_id = self._joined_stream(sid)
        found = await self._services.auctions.of_stream(stream_id, limit=1)
        return ok(auction=await self._auction_view(found[0]) if found else None)

    @acked
    async def on_auction_bids(self, sid: str, data: Any) -> Ack:
        stream, principal = await self._stream_of(sid)
        row = await self._auction_in(stream, AuctionRef.parse(data).auction_id)
        await self._may(stream, principal, Action.PIN)
        bids = await self._services.auctions.history(None, row.id)
        return ok(bids=[bid_view(b) for b in bids])

    @acked
    async def on_remove_bidder(self, sid: str, data: Any) -> Ack:
        stream, principal = await self._stream_of(sid)
        removal = RemoveBidder.parse(data)
        row = await self._auction_in(stream, removal.auction_id)
        await self._may(stream, principal, Action.MUTE)  # the moderators' call
        await self._services.auctions.remove_bidder(None, row.id, removal.bidder_id)
        return ok()

    async def bidder_refusal(self, principal: Principal, stream: Stream) -> None:
        """Refuse a bid from someone banned (in the show or platform-wide) or muted in it; the
        HTTP door asks the same."""
        room, platform = await self._store.read(stream_ref(stream))
        person = Person(principal, None)
        now = time.time()
        if admission(person, now, room, platform) is not None:
            raise Forbidden("you are banned from this show", code=AuctionCode.BIDDER_BANNED)
        if room.sanctions.find(SanctionKind.MUTE, person, now) is not None:
            raise Forbidden("you are muted in this show", code=AuctionCode.BIDDER_MUTED)

    async def _bid(self, sid: str, auction_id: int, request: BidRequest) -> Ack:
        # The hot path of a bidding storm: the show comes from the auction service's copy,
        # not from the database, bid after bid.
        stream_id, principal = self._joined_as(sid)
        stream = await self._services.auctions.show_of(auction_id)
        if stream.id != stream_id:
            raise NotFound("no such auction in this show", code=AuctionCode.AUCTION_NOT_FOUND)
        await self.bidder_refusal(principal, stream)
        self._bid_limiter.check(principal.subject)
        answer = await self._services.auctions.bid(principal, auction_id, request)
        return ok(**bid_answer(answer))

    async def _auction_in(self, stream: Stream, auction_id: int) -> Auction:
        row = await self._services.auctions.get(auction_id)
        if row.stream_id != stream.id:
            raise NotFound("no such auction in this show", code=AuctionCode.AUCTION_NOT_FOUND)
        return row

    async def _auction_view(self, row: Auction) -> dict[str, Any]:
        state, name = await self._services.auctions.live_state(row)
        return auction_view(row, state, name, utcnow())

    def _joined_stream(self, sid: str) -> int:
        stream_id = self._member(sid).stream_id
        if stream_id is None:
            raise Conflict("join a stream first", code=RoomCode.NOT_JOINED)
        return stream_id
