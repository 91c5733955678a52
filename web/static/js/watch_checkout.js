// @ts-check
// What a purchase carries besides its products: a coupon code, and the buyer's address
// (GET /api/account/addresses) it ships to. Where the show's shops do not ship to that
// address's country (GET /api/streams/{id}/shipping?country=), the page says so under the
// pinned products and in the cart before the tap; the cart also shows the shipping fees.

import { api } from "./api.js";
import { formatPrice, t } from "./i18n.js";
import { $, el } from "./ui.js";
import { countryName } from "./account_common.js";
import { localTitle } from "./watch_products.js";

export class CheckoutOptions {
  // host: {streamId, product(id), isAccount(), changed()}; sheet: the cart's dialog
  constructor(host, sheet) {
    this.host = host;
    this.addresses = [];
    this.shipping = null; // {country, products: [{product_id, seller_id, ships, fee_minor, currency}]}
    this.coupon = el("input", { id: "checkout-coupon", autocomplete: "off", maxlength: "40", spellcheck: "false" });
    this.address = el("select", { id: "checkout-address" });
    this.address.addEventListener("change", () => this.loadShipping());
    this.fees = el("p", { class: "checkout-fees muted", id: "checkout-fees" });
    this.addLink = el("a", { href: `/account?next=${encodeURIComponent(location.pathname)}`, id: "checkout-add-address" });
    this.panel = el("div", { class: "checkout-options", id: "checkout-options", hidden: "" },
      el("label", { for: "checkout-coupon" }), this.coupon,
      el("label", { for: "checkout-address" }), this.address, this.addLink, this.fees);
    sheet.querySelector(".sheet-foot").before(this.panel);
    this.notice = el("p", { class: "ship-notice", id: "ship-notice", role: "status", hidden: "" });
    ($("#pinned") || sheet).after(this.notice);
  }

  async load() {
    if (!this.host.isAccount()) { this.addresses = []; this.shipping = null; this.render(); return; }
    try {
      this.addresses = (await api("GET", "/api/account/addresses")).addresses;
    } catch {
      this.addresses = []; // no addresses: orders carry no shipping, as before
    }
    this.fillAddresses();
    await this.loadShipping();
  }

  fillAddresses() {
    const chosen = this.address.value || String((this.addresses.find((a) => a.default) || {}).id ?? "");
    this.address.replaceChildren(
      el("option", { value: "" }, t("watch.co.no_address")),
      ...this.addresses.map((a) => el("option", { value: String(a.id) }, `${a.name} · ${a.lines.join(", ")}`)));
    this.address.value = this.addresses.some((a) => String(a.id) === chosen) ? chosen : "";
  }

  chosenAddress() {
    return this.addresses.find((a) => String(a.id) === this.address.value) || null;
  }

  async loadShipping() {
    const address = this.chosenAddress();
    this.shipping = null;
    if (address) {
      try {
        this.shipping = await api("GET", `/api/streams/${this.host.streamId}/shipping?country=${address.country}`);
      } catch {
        // the server checks again when the order is placed
      }
    }
    this.render();
    this.host.changed();
  }

  // What the order request adds: {coupon?, address_id?}.
  extras() {
    const extras = {};
    const code = this.coupon.value.trim();
    if (code) extras.coupon = code;
    const address = this.chosenAddress();
    if (address) extras.address_id = address.id;
    return extras;
  }

  // Buy now from a card: the coupon, and the address when the product's shop ships there (else
  // the order carries no shipping, as before addresses; the notice has said so already).
  /** @param {number} productId */
  extrasFor(productId) {
    const extras = this.extras();
    if (!this.shipping || !this.ships(productId)) delete extras.address_id; // not known yet: none
    return extras;
  }

  // Its shop ships to the chosen address's country, in the product's currency.
  /** @param {number} productId */
  ships(productId) {
    const line = this.shipping && this.shipping.products.find((p) => p.product_id === productId);
    const product = this.host.product(productId);
    return line ? line.ships && (!product || product.currency === line.currency) : true;
  }

  // The products of `ids` its shop does not ship to the chosen country: "Does not ship to Poland: …".
  /** @param {number[]} ids */
  refusal(ids) {
    const refused = ids.filter((id) => !this.ships(id));
    if (!refused.length || !this.shipping) return "";
    const titles = refused.map((id) => this.host.product(id)).filter(Boolean).map((product) => localTitle(product));
    return t("watch.co.not_shipped", { country: countryName(this.shipping.country), titles: titles.join(", ") });
  }

  // The fee of each shop of `ids` once (an order pays one shipping line per shop).
  /** @param {number[]} ids */
  fee(ids) {
    if (!this.shipping) return "";
    const shops = new Map();
    for (const line of this.shipping.products) {
      if (ids.includes(line.product_id) && line.ships) shops.set(line.seller_id, line);
    }
    const sums = new Map();
    for (const line of shops.values()) sums.set(line.currency, (sums.get(line.currency) || 0) + line.fee_minor);
    if (!sums.size) return "";
    const fee = [...sums].map(([currency, minor]) => formatPrice(minor, currency)).join(" + ");
    return t("watch.co.shipping_fee", { country: countryName(this.shipping.country), fee });
  }

  /** @param {number[]} [cartIds] the cart's products */
  render(cartIds = []) {
    this.panel.hidden = !this.host.isAccount();
    const [coupon, address] = this.panel.querySelectorAll("label");
    coupon.textContent = t("watch.co.coupon");
    address.textContent = t("watch.co.address");
    this.addLink.textContent = t("watch.co.add_address");
    if (this.address.options.length) this.address.options[0].textContent = t("watch.co.no_address");
    this.fees.textContent = this.fee(cartIds);
    const lineup = this.shipping ? this.shipping.products.map((p) => p.product_id) : [];
    const text = this.refusal(lineup);
    this.notice.textContent = text;
    this.notice.hidden = !text;
  }
}
