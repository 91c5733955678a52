// API refusals in the page's language (docs/protocol.md#errors), else the server's message.

import { t } from "./i18n.js";
import { toast } from "./ui.js";

export function errorText(error) {
  if (!error) return t("seller.error.unknown");
  if (error.code === "network") return t("common.network_error");
  const key = `seller.error.${error.code}`;
  const text = t(key);
  if (text !== key) return text;
  return error.message || t("seller.error.unknown");
}

export function failed(error) {
  toast(errorText(error));
}
