// @ts-check
// The WHIP/WHEP offer/answer exchange shared by the studio (publish) and the viewer (watch).

import { ApiError } from "./api.js";

function iceGathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (pc.iceGatheringState === "complete") {
        pc.removeEventListener("icegatheringstatechange", check);
        resolve();
      }
    };
    pc.addEventListener("icegatheringstatechange", check);
    setTimeout(resolve, 3000);  // gathering can stall on odd networks: send what we have
  });
}

const ANSWER_TIMEOUT_MS = 15000;

// POST the offer and read the answer; a server that does not answer in time is a "timeout",
// one that cannot be reached is "network" (the studio retries both while reconnecting).
async function post(url, headers, body) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ANSWER_TIMEOUT_MS);
  try {
    const response = await fetch(url, { method: "POST", headers, body, signal: abort.signal });
    return { response, text: await response.text() };
  } catch {
    const code = abort.signal.aborted ? "timeout" : "network";
    throw new ApiError(code, code === "timeout" ? "the server did not answer in time" : "cannot reach the server", 0);
  } finally {
    clearTimeout(timer);
  }
}

// POST the offer (ICE gathered: no trickle) and apply the answer. Returns the session URL.
export async function negotiate(pc, url, bearer) {
  await pc.setLocalDescription(await pc.createOffer());
  await iceGathered(pc);
  const headers = { "Content-Type": "application/sdp" };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const { response, text } = await post(url, headers, pc.localDescription.sdp);
  if (response.status !== 201) {
    let error = { code: "http_" + response.status, message: text };
    try { error = JSON.parse(text).error; } catch { /* not JSON */ }
    throw new ApiError(error.code, error.message, response.status);
  }
  await pc.setRemoteDescription({ type: "answer", sdp: text });
  return new URL(response.headers.get("Location"), location.href).toString();
}

// The STUN/TURN servers for a new RTCPeerConnection (TURN with a time-limited credential:
// ask again for each connection). None known or the server unreachable: no servers.
/** @returns {Promise<RTCIceServer[]>} */
export async function iceServers() {
  try {
    const response = await fetch("/api/ice-servers", { cache: "no-store" });
    if (!response.ok) return [];
    const body = await response.json();
    return Array.isArray(body.ice_servers) ? body.ice_servers : [];
  } catch {
    return [];
  }
}

export async function hangUp(sessionUrl, bearer) {
  if (!sessionUrl) return;
  const headers = bearer ? { Authorization: `Bearer ${bearer}` } : {};
  await fetch(sessionUrl, { method: "DELETE", headers }).catch(() => {});
}

export function preferH264(transceiver) {
  const caps = RTCRtpSender.getCapabilities ? RTCRtpSender.getCapabilities("video") : null;
  if (!caps || !transceiver.setCodecPreferences) return;
  const h264 = caps.codecs.filter((c) => c.mimeType.toLowerCase() === "video/h264");
  const rest = caps.codecs.filter((c) => c.mimeType.toLowerCase() !== "video/h264");
  if (h264.length) transceiver.setCodecPreferences([...h264, ...rest]);
}

// Simulcast: full, half and quarter resolution, full first (a server that answers one layer
// leaves the browser the first encoding: the full picture). Rids as the relay expects.
const SIMULCAST = [
  { rid: "f", maxBitrate: 1500000 },
  { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 500000 },
  { rid: "q", scaleResolutionDownBy: 4, maxBitrate: 150000 },
];

// Add the camera's video, as simulcast when asked and the browser can send it, else as one layer.
/**
 * @param {RTCPeerConnection} pc
 * @param {MediaStreamTrack} track
 * @param {MediaStream} stream
 * @param {boolean} simulcast
 * @returns {RTCRtpTransceiver}
 */
export function addVideo(pc, track, stream, simulcast) {
  const init = { direction: /** @type {RTCRtpTransceiverDirection} */ ("sendonly"), streams: [stream] };
  if (!simulcast) return pc.addTransceiver(track, init);
  try {
    // A browser without simulcast throws, or keeps one encoding: one layer either way.
    return pc.addTransceiver(track, { ...init, sendEncodings: SIMULCAST });
  } catch { /* no simulcast here */ }
  return pc.addTransceiver(track, init);
}

// The video layers the sender sends now, from its outbound-rtp stats ("" rid: one layer).
/**
 * @param {RTCPeerConnection} pc
 * @returns {Promise<{rid: string, width: number, height: number, bytes: number, active: boolean, limited: string}[]>}
 */
export async function sentLayers(pc) {
  const layers = [];
  (await pc.getStats()).forEach((s) => {
    if (s.type !== "outbound-rtp" || s.kind !== "video") return;
    layers.push({
      rid: s.rid || "", width: s.frameWidth || 0, height: s.frameHeight || 0, bytes: s.bytesSent || 0,
      active: s.active !== false && Boolean(s.frameWidth), limited: s.qualityLimitationReason || "none",
    });
  });
  return layers;
}
