// The viewer's connection to the live room: the shared client (realtime.js), which notices a
// server close or a silent dead link and reconnects with backoff; the page joins again on it.

export { Realtime as RoomConnection } from "./realtime.js";
