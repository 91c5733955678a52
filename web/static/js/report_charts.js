// @ts-check
// The report's charts: SVG the server draws (GET /api/streams/{id}/report.svg), put in the page
// as SVG elements (parsed as XML, never as HTML), named in the reader's language.

/**
 * @param {number} streamId
 * @param {string} chart "viewers", "sales" or "funnel"
 * @param {Record<string, string>} [query]
 * @returns {Promise<SVGSVGElement>}
 */
export async function fetchChart(streamId, chart, query = {}) {
  const params = new URLSearchParams({ chart, ...query });
  const response = await fetch(`/api/streams/${streamId}/report.svg?${params}`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`chart ${chart}: HTTP ${response.status}`);
  const parsed = new DOMParser().parseFromString(await response.text(), "image/svg+xml");
  const svg = document.importNode(parsed.documentElement, true);
  if (!(svg instanceof SVGSVGElement)) throw new Error(`chart ${chart}: not SVG`);
  return svg;
}

/**
 * Put a chart in its slot with an accessible name.
 * @param {HTMLElement} slot
 * @param {SVGSVGElement} svg
 * @param {string} label
 */
export function placeChart(slot, svg, label) {
  svg.setAttribute("aria-label", label);
  svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  slot.replaceChildren(svg);
}
