// What the pages find on `window` that no library of ours declares.
interface Window {
  /** Stripe.js, loaded at run time from the provider's own origin (static/js/watch_pay.js). */
  Stripe?: (publishableKey: string) => any;
}
