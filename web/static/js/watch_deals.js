// @ts-check
// Flash deals on the viewer page, counted down on the server's clock.
//
// Every deal arrives with `server_time`, the server's clock when it was sent. We note the
// monotonic local time it arrived (performance.now()), so the server's "now" is server_time
// plus the time elapsed since: every viewer sees the same second, and a device clock set
// wrong (or changed while watching) never moves the countdown.

export class DealBook {
  constructor() {
    this.byProduct = new Map();
  }

  // Keep the newest deal of each product (a product has at most one running at a time).
  put(deal) {
    const known = this.byProduct.get(deal.product_id);
    if (known && known.id > deal.id) return;
    this.byProduct.set(deal.product_id, {
      ...deal,
      serverTime: Date.parse(deal.server_time),
      startsAt: Date.parse(deal.starts_at),
      endsAt: Date.parse(deal.ends_at),
      receivedAt: performance.now(),
    });
  }

  replace(deals) {
    this.byProduct.clear();
    for (const deal of deals || []) this.put(deal);
  }

  // The deal on this product that applies to the chosen variant, or null.
  forProduct(productId, variantId) {
    const deal = this.byProduct.get(productId);
    if (!deal) return null;
    return deal.variant_id == null || deal.variant_id === variantId ? deal : null;
  }

  // True when the product has a deal on some other variant than the chosen one.
  elsewhere(productId, variantId) {
    const deal = this.byProduct.get(productId);
    return Boolean(deal && deal.variant_id != null && deal.variant_id !== variantId);
  }
}

export function serverNow(deal) {
  return deal.serverTime + (performance.now() - deal.receivedAt);
}

// {phase, remainingMs}: phase is "upcoming" (remainingMs until it starts), "active" (until it
// ends), "sold_out" or "ended".
export function dealPhase(deal) {
  const now = serverNow(deal);
  if (deal.phase === "ended" || now >= deal.endsAt) return { phase: "ended", remainingMs: 0 };
  if (deal.phase === "sold_out" || deal.left <= 0) return { phase: "sold_out", remainingMs: deal.endsAt - now };
  if (now < deal.startsAt) return { phase: "upcoming", remainingMs: deal.startsAt - now };
  return { phase: "active", remainingMs: deal.endsAt - now };
}

// 75_000 -> "1:15", 3_725_000 -> "1:02:05". Whole seconds rounded up: "0:01" until it is over.
export function formatCountdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}
