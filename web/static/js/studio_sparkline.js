// @ts-check
// A sparkline of viewers over the show, drawn as inline SVG: a step line (counts change in
// steps), the area under it, and a dot on the latest count. Samples are [time ms, value].

const SVG = "http://www.w3.org/2000/svg";
const MAX_SAMPLES = 720;

// Keep a sample series short: past the cap, every other older sample goes (the shape stays).
export function addSample(samples, time, value) {
  const last = samples[samples.length - 1];
  if (last && last[0] === time) last[1] = value;
  else samples.push([time, value]);
  if (samples.length > MAX_SAMPLES) {
    const half = Math.floor(samples.length / 2);
    const thinned = samples.slice(0, half).filter((_, i) => i % 2 === 0);
    samples.splice(0, samples.length, ...thinned, ...samples.slice(half));
  }
  return samples;
}

// Where a sample lands in width x height (y grows downwards; the top is a little above the peak).
function scale(samples, width, height, pad = 3) {
  const t0 = samples[0][0];
  const span = Math.max(1, samples[samples.length - 1][0] - t0);
  const top = Math.max(4, Math.ceil(1.2 * Math.max(...samples.map(([, v]) => v))));  // headroom
  return {
    x: (t) => (samples.length === 1 ? width : ((t - t0) / span) * width),
    y: (v) => height - pad - (v / top) * (height - 2 * pad),
  };
}

// The step path through the samples.
export function stepPath(samples, width, height) {
  if (!samples.length) return "";
  const { x, y } = scale(samples, width, height);
  let path = `M0,${y(samples[0][1]).toFixed(1)}`;
  for (let i = 1; i < samples.length; i += 1) {
    const [t, v] = samples[i];
    path += `H${x(t).toFixed(1)}V${y(v).toFixed(1)}`;
  }
  if (samples.length === 1) path += `H${width}`;
  return path;
}

function node(name, attrs) {
  const made = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) made.setAttribute(key, value);
  return made;
}

// Redraw `svg` (its viewBox gives the size; its <title> the description) from the samples.
export function drawSparkline(svg, samples, description) {
  const { width, height } = svg.viewBox.baseVal;
  const line = stepPath(samples, width, height);
  const title = svg.querySelector("title");
  title.textContent = description;
  svg.replaceChildren(title);
  if (!line) return;
  svg.append(
    node("path", { d: `${line}V${height}H0Z`, class: "spark-area" }),
    node("path", { d: line, class: "spark-line", "vector-effect": "non-scaling-stroke" }),
  );
  const lastY = scale(samples, width, height).y(samples[samples.length - 1][1]);
  svg.append(node("rect", { x: width - 4, y: (lastY - 2).toFixed(1), width: 4, height: 4, class: "spark-dot" }));
  svg.dataset.samples = String(samples.length);
}
